// A lab on the fixture images with its runner, for proofs that CI jobs build and push images:
// the go-service of test/data pushed with real git over HTTPS, its pipelines followed through
// GitLab's API, and the pushed images pulled and run by this machine's Docker client.
//
// Everything goes through the lab as a user reaches it: the published https port, the lab CA
// and the admin token `lab credentials --token` prints. No vitest import here: the bench uses it.
import { cp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { docker } from './docker.js';
import { type FixtureLab, fixtureLab, gitlabApi } from './fixture-lab.js';

export const GO_SERVICE = fileURLToPath(new URL('../data/go-service/', import.meta.url));
/** The images the go-service's jobs run (fixture images under their real names), the runner's helper too. */
export const JOB_IMAGES = [
  'docker:28.3.3',
  'docker:28.3.3-dind',
  'golang:1.24-bookworm',
  'registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v19.4.1',
];

export interface Job {
  id: number;
  name: string;
  web_url: string;
  status: string;
  failure_reason?: string;
  started_at: string | null;
  finished_at: string | null;
}
export interface Pipeline {
  id: number;
  status: string;
  ref: string;
  sha: string;
}
export interface Project {
  id: number;
  /** `root/<name>`. */
  path: string;
}

export interface PipelineLabOptions {
  prefix: string;
  /** Lines of lab.yml's `runner:` section (indented by two spaces), besides the defaults. */
  runner?: string[] | ((lab: FixtureLab) => string[]);
  /** Runs after lab.yml is written and before `lab up` (e.g. `lab certs --builder`). */
  beforeUp?: (lab: FixtureLab) => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FINISHED = ['success', 'failed', 'canceled', 'skipped'];

export class PipelineLab {
  /** Containers and images `serve` made on this machine's engine. */
  private readonly made = { containers: [] as string[], images: [] as string[], layers: [] as string[] };

  private constructor(
    readonly lab: FixtureLab,
    readonly token: string,
    readonly password: string,
  ) {}

  /**
   * Writes lab.yml (fixture images, a unique domain and ports, `runner` lines), runs
   * `lab up --pull never` with the runner, and reads the admin token and root password.
   */
  static async open(makeDir: (prefix: string) => Promise<string>, options: PipelineLabOptions): Promise<PipelineLab> {
    const lab = await fixtureLab(makeDir, { prefix: options.prefix, uniqueDomain: true });
    const runner = typeof options.runner === 'function' ? options.runner(lab) : (options.runner ?? []);
    if (runner.length > 0) await writeFile(join(lab.dir, 'lab.yml'), `runner:\n${runner.join('\n')}\n`, { flag: 'a' });
    await options.beforeUp?.(lab);
    const up = await lab.lab(['up', '--pull', 'never', '--timeout', '300s'], {});
    if (up.exitCode !== 0) throw new Error(`lab up failed (${up.exitCode}):\n${up.all}`);
    const creds = await lab.lab(['credentials', '--token', '--json']);
    if (creds.exitCode !== 0) throw new Error(`lab credentials failed:\n${creds.all}`);
    const { token, password } = JSON.parse(creds.stdout) as { token: string; password: string };
    return new PipelineLab(lab, token, password);
  }

  /** `registry.<domain>:<https port>`: CI_REGISTRY, and the certs.d folder name. */
  get registry(): string {
    return `${this.lab.hosts.registry}:${this.lab.ports.https}`;
  }

  get caFile(): string {
    return join(this.lab.dir, 'certs', 'ca', 'rootCA.pem');
  }

  async api<T = unknown>(method: string, path: string, json?: unknown): Promise<T> {
    const r = await gitlabApi(this.lab, method, path, { token: this.token, ...(json === undefined ? {} : { json }) });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  }

  /** A private project of root's, created through the API. */
  async project(name: string): Promise<Project> {
    const p = await this.api<{ id: number; path_with_namespace: string }>('POST', '/projects', { name, visibility: 'private' });
    return { id: p.id, path: p.path_with_namespace };
  }

  /** A project CI/CD variable. */
  async variable(project: Project, key: string, value: string): Promise<void> {
    await this.api('POST', `/projects/${project.id}/variables`, { key, value });
  }

  /**
   * Commits the go-service in a fresh repository in `dir`, then one commit per branch of
   * `branches` on top of it (its files over the service's; none: the service as it is), and
   * pushes those branches in one `git push` over HTTPS through the published port, trusting
   * the lab CA only. Returns each branch's commit.
   */
  async push(project: Project, dir: string, branches: Record<string, Record<string, string>>): Promise<Record<string, string>> {
    const git = (args: string[]) =>
      execa('git', ['-c', 'user.name=Lab Test', '-c', 'user.email=test@lab.invalid', ...args], {
        cwd: dir,
        env: { GIT_TERMINAL_PROMPT: '0' },
      });
    await cp(GO_SERVICE, dir, { recursive: true });
    await git(['init', '-q', '-b', 'main']);
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', 'go-service']);
    const shas: Record<string, string> = {};
    for (const [branch, files] of Object.entries(branches)) {
      await git(['checkout', '-q', '-B', branch, 'main']);
      for (const [path, content] of Object.entries(files)) await writeFile(join(dir, path), content);
      await git(['add', '-A']);
      if (Object.keys(files).length > 0) await git(['commit', '-q', '-m', `go-service on ${branch}`]);
      shas[branch] = (await git(['rev-parse', 'HEAD'])).stdout.trim();
    }
    const pushed = await this.git(['push', this.repoUrl(project, `root:${this.token}`), ...Object.keys(shas)], dir);
    if (pushed.exitCode !== 0) throw new Error(`git push failed:\n${pushed.all}`);
    return shas;
  }

  /** The project's HTTPS clone URL through the published port, with `user:password`. */
  repoUrl(project: Project, credentials: string): string {
    return `https://${credentials}@${this.lab.hosts.gitlab}:${this.lab.ports.https}/${project.path}.git`;
  }

  /**
   * This machine's git against the lab: the GitLab name resolves to the published port
   * (libcurl's resolve list) and only the lab CA is trusted (GIT_SSL_CAINFO, which wins
   * over http.sslCAInfo and over what the environment had).
   */
  git(args: string[], cwd?: string) {
    const resolve = `http.curloptResolve=${this.lab.hosts.gitlab}:${this.lab.ports.https}:127.0.0.1`;
    return execa('git', ['-c', resolve, ...args], {
      ...(cwd ? { cwd } : {}),
      env: { GIT_TERMINAL_PROMPT: '0', GIT_SSL_CAINFO: this.caFile },
      reject: false,
      all: true,
    });
  }

  /** The pipeline GitLab created for this push of `ref`. */
  async pipeline(project: Project, ref: string, sha: string, timeoutMs = 60_000): Promise<Pipeline> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const list = await this.api<Pipeline[]>('GET', `/projects/${project.id}/pipelines?ref=${encodeURIComponent(ref)}&sha=${sha}`);
      if (list[0]) return list[0];
      if (Date.now() > deadline) throw new Error(`no pipeline for ${ref} ${sha} within ${timeoutMs} ms`);
      await sleep(500);
    }
  }

  /** Waits until the pipeline has finished, and returns it with its jobs. */
  async finished(project: Project, pipeline: Pipeline, timeoutMs = 900_000): Promise<{ pipeline: Pipeline; jobs: Job[] }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.api<Pipeline>('GET', `/projects/${project.id}/pipelines/${pipeline.id}`);
      if (FINISHED.includes(p.status)) return { pipeline: p, jobs: await this.jobs(project, p) };
      if (Date.now() > deadline) throw new Error(`pipeline ${p.id} still ${p.status} after ${timeoutMs} ms`);
      await sleep(1000);
    }
  }

  async jobs(project: Project, pipeline: Pipeline): Promise<Job[]> {
    return this.api<Job[]>('GET', `/projects/${project.id}/pipelines/${pipeline.id}/jobs`);
  }

  /** A job's log as GitLab keeps it (`GET /projects/:id/jobs/:id/trace`). */
  async trace(project: Project, job: Job): Promise<string> {
    return String((await this.api<unknown>('GET', `/projects/${project.id}/jobs/${job.id}/trace`)) ?? '');
  }

  /** A new pipeline for `ref` (`POST /projects/:id/pipeline`), as after a fix outside the repository. */
  async rerun(project: Project, ref: string): Promise<Pipeline> {
    return this.api<Pipeline>('POST', `/projects/${project.id}/pipeline?ref=${encodeURIComponent(ref)}`);
  }

  /** `docker login` of this machine's client to the lab registry as root. */
  async login(): Promise<void> {
    const r = await execa('docker', ['login', this.registry, '--username', 'root', '--password-stdin'], {
      input: this.password,
      reject: false,
      all: true,
    });
    if (r.exitCode !== 0) throw new Error(`docker login ${this.registry} failed:\n${r.all}`);
  }

  /** Pulls `image` with this machine's Docker client, runs it, and returns its HTTP answer to GET /. */
  async serve(image: string): Promise<{ answer: string; pull: string }> {
    this.made.images.push(image);
    const pull = await execa('docker', ['pull', image], { reject: false, all: true, timeout: 300_000 });
    if (pull.exitCode !== 0) throw new Error(`docker pull ${image} failed:\n${pull.all}`);
    const id = (await docker(['run', '-d', '-p', '127.0.0.1::8080', image])).stdout.trim();
    this.made.containers.push(id);
    const port = Number((await docker(['port', id, '8080/tcp'])).stdout.trim().split('\n')[0]?.split(':').at(-1));
    for (let i = 0; i < 50; i++) {
      const answer = await httpGet(port).catch(() => '');
      if (answer) return { answer, pull: pull.all };
      await sleep(200);
    }
    throw new Error(`${image} did not answer on 127.0.0.1:${port}`);
  }

  /**
   * Remembers the images a job's `docker build` left on this machine's daemon (socket mode:
   * the build stage's layers stay behind as dangling images), by the IDs its log printed.
   */
  builtHere(trace: string): void {
    for (const m of trace.matchAll(/ ---> ([0-9a-f]{12})\b/g)) if (m[1]) this.made.layers.push(m[1]);
  }

  /** Removes what `serve` made, logs out, removes the lab's host wiring and the lab. */
  async close(): Promise<void> {
    for (const id of this.made.containers) await docker(['rm', '-f', id], { reject: false });
    for (const image of this.made.images) await docker(['rmi', '-f', image], { reject: false });
    // Children first; without -f, so that an image with other names (the Go image) stays.
    for (const id of this.made.layers.reverse()) await docker(['rmi', id], { reject: false });
    await execa('docker', ['logout', this.registry], { reject: false });
    await this.lab.lab(['trust', '--uninstall']);
    await this.lab.lab(['hosts', '--remove']);
    await this.lab.lab(['destroy', '--yes']);
    await this.lab.purge();
  }
}

/** GET / over plain HTTP/1.0; the body of the answer. */
function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.write('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n'));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text.split('\r\n\r\n').slice(1).join('\r\n\r\n');
      if (!/^HTTP\/1\.[01] 200 /.test(text)) reject(new Error(`not a 200: ${text.slice(0, 80)}`));
      else resolve(body);
    });
  });
}

/** The job images this machine's engine lacks (nothing can be pulled here). */
export async function missingJobImages(): Promise<string[]> {
  const missing: string[] = [];
  for (const image of JOB_IMAGES) if ((await docker(['image', 'inspect', image], { reject: false })).exitCode !== 0) missing.push(image);
  return missing;
}
