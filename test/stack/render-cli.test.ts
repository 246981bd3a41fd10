import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runLab } from '../helpers/cli.js';
import { RENDERED_FILES } from '../helpers/stack.js';
import { tempDir } from '../helpers/tmp.js';

// `lab render` observed from the outside: the files on disk, their modes and mtimes,
// and what the command prints.

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

async function snapshot(dir: string): Promise<Map<string, { mtimeMs: number; content: string }>> {
  const result = new Map<string, { mtimeMs: number; content: string }>();
  for (const f of RENDERED_FILES) {
    const path = join(dir, f);
    result.set(f, { mtimeMs: (await stat(path)).mtimeMs, content: await readFile(path, 'utf8') });
  }
  return result;
}

describe('lab render', () => {
  it('writes every file in a lab folder without lab.yml, then changes nothing on a second run', async () => {
    const dir = await tempDir();
    const first = await runLab(['render', '--dir', dir]);
    expect(first.exitCode, first.all).toBe(0);
    for (const f of RENDERED_FILES) expect(first.stdout).toMatch(new RegExp(`created\\s+${f.replace(/\./g, '\\.')}`));
    expect(await listFiles(dir)).toEqual([...RENDERED_FILES].sort());

    const before = await snapshot(dir);
    await new Promise((r) => setTimeout(r, 50)); // an mtime change would be visible
    const second = await runLab(['render', '--dir', dir, '--json']);
    expect(second.exitCode, second.all).toBe(0);
    const report = JSON.parse(second.stdout) as { files: { path: string; result: string }[] };
    expect(report.files).toEqual(RENDERED_FILES.map((path) => ({ path, result: 'unchanged' })));
    const after = await snapshot(dir);
    for (const f of RENDERED_FILES) expect(after.get(f), f).toEqual(before.get(f));
  });

  it('writes config.toml (and its folder) private, everything else readable', async () => {
    const dir = await tempDir();
    expect((await runLab(['render'], { cwd: dir })).exitCode).toBe(0);
    expect((await stat(join(dir, '.lab/runner/config.toml'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, '.lab/runner'))).mode & 0o777).toBe(0o700);
    for (const f of RENDERED_FILES.filter((f) => f.startsWith('compose/'))) expect((await stat(join(dir, f))).mode & 0o777).toBe(0o644);
  });

  it('updates only the files a lab.yml change affects', async () => {
    const dir = await tempDir();
    expect((await runLab(['render'], { cwd: dir })).exitCode).toBe(0);
    const before = await snapshot(dir);
    await writeFile(join(dir, 'lab.yml'), 'runner:\n  concurrent: 5\n');
    const run = await runLab(['render', '--json'], { cwd: dir });
    expect(run.exitCode, run.all).toBe(0);
    const results = Object.fromEntries(
      (JSON.parse(run.stdout) as { files: { path: string; result: string }[] }).files.map((f) => [f.path, f.result]),
    );
    expect(results['.lab/runner/config.toml']).toBe('updated');
    for (const f of RENDERED_FILES.filter((f) => f.startsWith('compose/'))) {
      expect(results[f], f).toBe('unchanged');
      expect((await stat(join(dir, f))).mtimeMs).toBe(before.get(f)?.mtimeMs);
    }
    expect(await readFile(join(dir, '.lab/runner/config.toml'), 'utf8')).toMatch(/^concurrent = 5$/m);
  });

  it('puts the runner token from .lab/secrets/runner.json into config.toml only, and never prints it', async () => {
    const dir = await tempDir();
    const token = 'glrt-t3st-s3cr3t-t0k3n-value';
    await mkdir(join(dir, '.lab/secrets'), { recursive: true });
    await writeFile(join(dir, '.lab/secrets/runner.json'), JSON.stringify({ id: 7, token }), { mode: 0o600 });
    // Another secret the lab keeps: the root password must not leak into compose files either.
    await writeFile(join(dir, '.lab/secrets/gitlab.env'), 'GITLAB_ROOT_PASSWORD=Sup3r-S3cret-R00t\n', { mode: 0o600 });
    const run = await runLab(['render'], { cwd: dir });
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).not.toContain(token);
    expect(await readFile(join(dir, '.lab/runner/config.toml'), 'utf8')).toContain(`token = "${token}"`);
    for (const f of RENDERED_FILES.filter((f) => !f.endsWith('config.toml'))) {
      const text = await readFile(join(dir, f), 'utf8');
      expect(text, f).not.toContain(token);
      expect(text, f).not.toContain('Sup3r-S3cret-R00t');
    }
  });

  it('never mentions the CA private key or the CA folder in any rendered file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'lab.yml'), 'gitlab:\n  pages: true\nrunner:\n  docker: dind\n');
    expect((await runLab(['render'], { cwd: dir })).exitCode).toBe(0);
    for (const f of RENDERED_FILES) {
      const text = await readFile(join(dir, f), 'utf8');
      expect(text, f).not.toContain(join(dir, 'certs', 'ca'));
      expect(text, f).not.toMatch(/(^|[^a-z/])certs\/ca\//m);
      expect(text, f).not.toContain('rootCA-key');
      expect(text, f).not.toContain('rootCA');
    }
  });

  it('gives jobs the CA in certs.d/<registry>[:port] once certs exist, and drops the folder of an old port', async () => {
    const dir = await tempDir();
    const certsd = join(dir, '.lab', 'runner', 'certs.d');
    expect((await runLab(['certs'], { cwd: dir })).exitCode).toBe(0);
    expect((await runLab(['render'], { cwd: dir })).exitCode).toBe(0);
    const ca = await readFile(join(dir, 'certs', 'tls', 'ca.pem'), 'utf8');
    expect(await readFile(join(certsd, 'registry.test', 'ca.crt'), 'utf8')).toBe(ca);
    await writeFile(join(dir, 'lab.yml'), 'ports:\n  https: 8443\n');
    expect((await runLab(['render'], { cwd: dir })).exitCode).toBe(0);
    expect(await readdir(certsd)).toEqual(['registry.test:8443']);
    // A folder lab did not write (something else besides ca.crt) is left alone.
    await mkdir(join(certsd, 'mine'));
    await writeFile(join(certsd, 'mine', 'note.txt'), 'keep');
    await writeFile(join(dir, 'lab.yml'), 'ports:\n  https: 9443\n');
    expect((await runLab(['render'], { cwd: dir })).exitCode).toBe(0);
    expect((await readdir(certsd)).sort()).toEqual(['mine', 'registry.test:9443']);
  });

  it('fails with exit 1 and a hint on a corrupt runner.json, writing nothing', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, '.lab/secrets'), { recursive: true });
    await writeFile(join(dir, '.lab/secrets/runner.json'), '{"id": 1, "tok');
    const run = await runLab(['render'], { cwd: dir });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/^lab: error: .*runner\.json is not valid JSON$/m);
    expect(run.stderr).toMatch(/^hint: /m);
    expect(await listFiles(dir)).toEqual(['.lab/secrets/runner.json']);
  });
});

describe("the engine's socket in the runner and in socket-mode jobs", () => {
  const socketOf = async (dir: string) => {
    const runner = parseYaml(await readFile(join(dir, 'compose', 'runner.yml'), 'utf8')) as {
      services: { runner: { volumes: { source: string; target: string }[] } };
    };
    const toml = await readFile(join(dir, '.lab', 'runner', 'config.toml'), 'utf8');
    const bind = runner.services.runner.volumes.find((v) => v.target === '/var/run/docker.sock');
    return { runner: bind?.source, jobs: /"([^"]+):\/var\/run\/docker\.sock"/.exec(toml)?.[1] };
  };

  it('comes from DOCKER_HOST when that is a unix socket (rootless Docker, Podman)', async () => {
    const dir = await tempDir();
    const r = await runLab(['render', '--dir', dir], { env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } });
    expect(r.exitCode, r.all).toBe(0);
    expect(await socketOf(dir)).toEqual({ runner: '/run/user/1000/docker.sock', jobs: '/run/user/1000/docker.sock' });
  });

  it('is the default path for a remote engine, and runner.dockerSocket in lab.yml wins over both', async () => {
    const dir = await tempDir();
    expect((await runLab(['render', '--dir', dir], { env: { DOCKER_HOST: 'tcp://10.0.0.9:2375' } })).exitCode).toBe(0);
    expect(await socketOf(dir)).toEqual({ runner: '/var/run/docker.sock', jobs: '/var/run/docker.sock' });
    await writeFile(join(dir, 'lab.yml'), 'runner:\n  dockerSocket: /run/podman/podman.sock\n');
    expect((await runLab(['render', '--dir', dir], { env: { DOCKER_HOST: 'unix:///var/run/docker.sock' } })).exitCode).toBe(0);
    expect(await socketOf(dir)).toEqual({ runner: '/run/podman/podman.sock', jobs: '/run/podman/podman.sock' });
  });
});
