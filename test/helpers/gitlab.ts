import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { LAB_BIN, type LabRun, type LabRunOptions, runLab } from './cli.js';
import { type FixtureLab, gitlabApi } from './fixture-lab.js';

/**
 * Helpers for the bootstrap tests. GitLab is observed through its own REST API, with the
 * tests' client (gitlabApi: node:https, the lab CA, Host/SNI gitlab.test), not with lab's.
 * Secret values are compared with booleans only, so a failing assertion never prints one.
 */

export interface RunnerRow {
  id: number;
  description: string | null;
  status: string;
  runner_type: string;
}

/** Every instance runner GitLab knows (as an admin sees them: GET /runners/all). */
export async function instanceRunners(lab: FixtureLab, adminToken: string): Promise<RunnerRow[]> {
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
  const r = await execa(process.execPath, [LAB_BIN, ...args], {
    cwd,
    env: { NO_COLOR: '1', ...env },
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  });
  return { signal: r.signal, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}
