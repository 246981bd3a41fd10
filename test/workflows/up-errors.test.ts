import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { runLab } from '../helpers/cli.js';
import { docker, exists, inspectContainer } from '../helpers/docker.js';
import { FIXTURE_IMAGES, type FixtureLab, fixtureLab, fixtureSuite } from '../helpers/fixture-lab.js';
import { tempDir } from '../helpers/tmp.js';

const run = await fixtureSuite();

const labs: FixtureLab[] = [];
const extraContainers: string[] = [];
const extraVolumes: string[] = [];

afterAll(async () => {
  for (const c of extraContainers) await docker(['rm', '-f', c], { reject: false });
  for (const v of extraVolumes) await docker(['volume', 'rm', '-f', v], { reject: false });
  for (const lab of labs) await lab.purge();
});

async function newLab(readyAfterMs = 500) {
  const lab = await fixtureLab(tempDir, { prefix: 'x', readyAfterMs });
  labs.push(lab);
  return lab;
}

const up = (dir: string, extra: string[] = []) =>
  runLab(['up', '--skip-runner', '--pull', 'never', '--timeout', '60s', ...extra], { cwd: dir });

describe.runIf(run)('lab up refuses and explains', () => {
  it('names the container that holds the HTTPS port, and how to change ports:', async () => {
    const lab = await newLab();
    const holder = `${lab.stack.name}-squatter`;
    extraContainers.push(holder);
    await docker(['run', '-d', '--name', holder, '-p', `${lab.stack.ports.https}:8443`, FIXTURE_IMAGES.busybox, 'sleep', '3600']);
    const r = await up(lab.dir);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toContain(`lab: error: port ${lab.stack.ports.https} (ports.https) is already taken by container ${holder}`);
    expect(r.stderr).toMatch(/hint: .*ports: \{ https: /);
    // Refused before starting Traefik: nothing of the stack runs.
    expect((await inspectContainer(`${lab.stack.name}-traefik-1`))?.running ?? false).toBe(false);
  });

  it('names the process that holds the HTTP port on a local engine', async () => {
    const lab = await newLab();
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(lab.stack.ports.http, '0.0.0.0', resolve));
    try {
      const r = await up(lab.dir);
      expect(r.exitCode, r.all).toBe(1);
      expect(r.stderr).toContain(`port ${lab.stack.ports.http} (ports.http) is already taken by process node (pid ${process.pid})`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses a container and a volume with lab names but without lab labels, and deletes nothing', async () => {
    const lab = await newLab();
    const squatter = `${lab.stack.name}-traefik-1`;
    const volume = `${lab.stack.name}-gitlab-data`;
    extraContainers.push(squatter);
    extraVolumes.push(volume);
    await docker(['run', '-d', '--name', squatter, FIXTURE_IMAGES.busybox, 'sleep', '3600']);
    await docker(['volume', 'create', volume]);
    const before = await inspectContainer(squatter);
    const r = await up(lab.dir);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toContain(`container ${squatter}`);
    expect(r.stderr).toContain(`volume ${volume}`);
    expect(r.stderr).toContain('not created by this lab');
    expect((await inspectContainer(squatter))?.id).toBe(before?.id);
    expect(await exists('volume', volume)).toBe(true);
    expect(await exists('network', `${lab.stack.name}-net`)).toBe(false);
  });

  it('fails on readiness timeout naming the service with its last log lines, and a re-run resumes', async () => {
    // GitLab gets ready after 20 s: a lab up that ignored its 2 s timeout would succeed.
    const lab = await newLab(20_000);
    const r = await up(lab.dir, ['--timeout', '2s']);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toContain('lab: error: gitlab did not become ready within 2.0s');
    expect(r.stderr).toMatch(/(last \d+ log lines of|no log lines)/);
    const logs = await docker(['logs', '--tail', '30', `${lab.stack.name}-gitlab-1`]);
    for (const line of `${logs.stdout}\n${logs.stderr}`.split('\n').filter((l) => l.trim() !== '')) expect(r.stderr).toContain(line);
    const gitlab = await inspectContainer(`${lab.stack.name}-gitlab-1`);
    const again = await up(lab.dir, ['--timeout', '60s']);
    expect(again.exitCode, again.all).toBe(0);
    expect((await inspectContainer(`${lab.stack.name}-gitlab-1`))?.id).toBe(gitlab?.id);
    await runLab(['destroy', '--yes'], { cwd: lab.dir });
  });

  it('refuses --pull never with a missing image', async () => {
    const lab = await newLab();
    await lab.write();
    const { writeFile, readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(lab.dir, 'lab.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(FIXTURE_IMAGES.traefik, 'lab-fixture/does-not-exist:1'));
    const r = await up(lab.dir);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toContain('lab-fixture/does-not-exist:1 is not present and --pull never forbids pulling');
  });
});
