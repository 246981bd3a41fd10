import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const LAB_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface LabRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for "does any output contain X" checks. */
  all: string;
}

export interface LabRunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

/** Runs the built CLI as a user would: a separate process, observed from the outside. */
export async function runLab(args: string[], options: LabRunOptions = {}): Promise<LabRun> {
  const result = await execa(process.execPath, [LAB_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { NO_COLOR: '1', ...options.env },
    reject: false,
    all: true,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    timeout: options.timeoutMs ?? 300_000,
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    all: result.all ?? `${result.stdout}\n${result.stderr}`,
  };
}
