import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { LAB_BIN, runLab, type LabRun, type LabRunOptions } from '../helpers/cli.js';
import { docker, uniqueStack, type TestStack } from '../helpers/docker.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Helpers for the bootstrap tests. GitLab is observed through its own REST API, with a
 * client written here (node:https, the lab CA, Host/SNI gitlab.test), not with lab's.
 * Secret values are compared with booleans only, so a failing assertion never prints one.
 */

export interface LabDir {
  dir: string;
  httpsPort: number;
}

export const FIXTURE_IMAGES = ['lab-fixture/traefik:latest', 'lab-fixture/gitlab:latest', 'lab-fixture/runner:latest'] as const;

export async function fixturesMissing(): Promise<string[]> {
  const missing: string[] = [];
  for (const image of FIXTURE_IMAGES) if ((await docker(['image', 'inspect', image], { reject: false })).exitCode !== 0) missing.push(image);
  return missing;
}

export interface GitlabLab extends LabDir {
  stack: TestStack;
  name: string;
}

/** A lab folder on the fixture images with a unique name, subnet and ports (removed after the file). */
export async function gitlabLab(prefix: string, gitlabEnv: Record<string, string>): Promise<GitlabLab> {
  const stack = await uniqueStack(prefix);
  const dir = await tempDir(`lab-${stack.name}-`);
  const [traefik, gitlab, runner] = FIXTURE_IMAGES;
  const yml = [
    `name: ${stack.name}`,
    'network:',
    `  subnet: ${stack.subnet}`,
    'ports:',
    `  http: ${stack.ports.http}`,
    `  https: ${stack.ports.https}`,
    `  ssh: ${stack.ports.ssh}`,
    'images:',
    `  traefik: ${traefik}`,
    `  gitlab: ${gitlab}`,
    `  runner: ${runner}`,
    'gitlab:',
    '  environment:',
    ...Object.entries(gitlabEnv).map(([k, v]) => `    ${k}: "${v}"`),
    '',
  ].join('\n');
  await writeFile(join(dir, 'lab.yml'), yml);
  return { stack, name: stack.name, dir, httpsPort: stack.ports.https };
}

export interface ContainerState {
  id: string;
  running: boolean;
  startedAt: string;
}

export async function containerState(name: string): Promise<ContainerState | undefined> {
  const r = await docker(['container', 'inspect', name], { reject: false });
  if (r.exitCode !== 0) return undefined;
  const [info] = JSON.parse(r.stdout) as { Id: string; State: { Running: boolean; StartedAt: string } }[];
  return info ? { id: info.Id, running: info.State.Running, startedAt: info.State.StartedAt } : undefined;
}

/** Removes whatever carries the stack's label, whatever state a failed test left. */
export async function purge(name: string): Promise<void> {
  const list = async (args: string[]) => (await docker([...args, '--filter', `label=dev.lab.stack=${name}`], { reject: false })).stdout.split('\n').filter(Boolean);
  const ids = await list(['ps', '-aq']);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids], { reject: false });
  const nets = await list(['network', 'ls', '-q']);
  if (nets.length > 0) await docker(['network', 'rm', ...nets], { reject: false });
  const vols = await list(['volume', 'ls', '-q']);
  if (vols.length > 0) await docker(['volume', 'rm', '-f', ...vols], { reject: false });
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** One request to the GitLab fixture through the lab's proxy (published HTTPS port). */
export function gitlabApi(lab: LabDir, method: string, path: string, options: { token?: string; json?: unknown } = {}): Promise<ApiAnswer> {
  const ca = readFileSync(join(lab.dir, 'certs', 'ca', 'rootCA.pem'));
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: lab.httpsPort,
        servername: 'gitlab.test',
        method,
        path: `/api/v4${path}`,
        ca,
        agent: false,
        headers: {
          host: 'gitlab.test',
          ...(options.token ? { 'private-token': options.token } : {}),
          ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface RunnerRow {
  id: number;
  description: string | null;
  status: string;
  runner_type: string;
}

/** Every instance runner GitLab knows (as an admin sees them: GET /runners/all). */
export async function instanceRunners(lab: LabDir, adminToken: string): Promise<RunnerRow[]> {
  const r = await gitlabApi(lab, 'GET', '/runners/all?type=instance_type&per_page=100', { token: adminToken });
  if (r.status !== 200) throw new Error(`GET /runners/all answered ${r.status}`);
  return r.body as RunnerRow[];
}

export interface Secrets {
  password: string;
  passwordFile: string;
  admin: { token: string; state: string; expiresAt: string };
  runner: { id: number; token: string };
}

export const secretPath = (dir: string, name: string) => join(dir, '.lab', 'secrets', name);

export async function readSecrets(dir: string): Promise<Secrets> {
  const env = await readFile(secretPath(dir, 'gitlab.env'), 'utf8');
  const password = /^GITLAB_ROOT_PASSWORD=(.+)$/m.exec(env)?.[1] ?? '';
  const admin = JSON.parse(await readFile(secretPath(dir, 'admin-token.json'), 'utf8')) as Secrets['admin'];
  const runner = JSON.parse(await readFile(secretPath(dir, 'runner.json'), 'utf8')) as Secrets['runner'];
  return { password, passwordFile: env, admin, runner };
}

export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Every output of every lab command a test file ran, for the "no secret printed" check. */
export class OutputLog {
  readonly entries: { label: string; text: string }[] = [];
  /** runLab, recording stdout and stderr. */
  async lab(args: string[], options: LabRunOptions = {}): Promise<LabRun> {
    const r = await runLab(args, options);
    this.entries.push({ label: `lab ${args.join(' ')}`, text: `${r.stdout}\n${r.stderr}` });
    return r;
  }
  /** The labels of the outputs that contain `secret` (never the secret itself). */
  leaks(secret: string, except: (label: string) => boolean = () => false): string[] {
    if (secret.length < 8) throw new Error('not a secret worth searching for');
    return this.entries.filter((e) => !except(e.label) && e.text.includes(secret)).map((e) => e.label);
  }
}

export interface KilledRun {
  signal: string | undefined;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs lab expecting it to die: reports the signal that ended it. */
export async function runLabRaw(args: string[], cwd: string, env: Record<string, string>): Promise<KilledRun> {
  const r = await execa(process.execPath, [LAB_BIN, ...args], { cwd, env: { NO_COLOR: '1', ...env }, reject: false, stdin: 'ignore', timeout: 120_000 });
  return { signal: r.signal, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
