import { chmod, copyFile, mkdir, rm, rmdir } from 'node:fs/promises';
import { execa } from 'execa';
import { errnoCode, errorMessage, fail } from '../util/errors.js';
import { which } from './platform.js';

/**
 * One change to the machine, described as data so that `--dry-run` can print
 * exactly what would run, and the same step can run in-process (as root) or as a
 * command under sudo (as a user) with identical effect.
 */
export type Step =
  | { kind: 'exec'; argv: string[]; privileged: boolean; input?: string }
  | { kind: 'mkdir'; path: string; mode: number; privileged: boolean }
  | { kind: 'copy'; from: string; to: string; mode: number; privileged: boolean }
  | { kind: 'remove'; path: string; privileged: boolean }
  /** Removes a directory only while it is empty: never what someone else put there. */
  | { kind: 'rmdir'; path: string; privileged: boolean };

export interface Privilege {
  isRoot: boolean;
  /** The platform has sudo-style elevation (everything but Windows). */
  canSudo: boolean;
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const octal = (mode: number) => `0${mode.toString(8)}`;

/** The command that performs the step, as the user could type it. */
export function stepCommand(step: Step): string[] {
  switch (step.kind) {
    case 'exec':
      return step.argv;
    case 'mkdir':
      return ['mkdir', '-m', octal(step.mode), step.path];
    case 'copy':
      return ['install', '-m', octal(step.mode), step.from, step.to];
    case 'remove':
      return ['rm', '-f', step.path];
    case 'rmdir':
      return ['rmdir', '--ignore-fail-on-non-empty', step.path];
  }
}

function needsSudo(step: Step, privilege: Privilege): boolean {
  return step.privileged && !privilege.isRoot && privilege.canSudo;
}

/** One shell line per step, with `sudo` where lab would use it. */
export function describeStep(step: Step, privilege: Privilege): string {
  const argv = [...(needsSudo(step, privilege) ? ['sudo'] : []), ...stepCommand(step)];
  const line = argv.map(shellQuote).join(' ');
  if (step.kind === 'exec' && step.input !== undefined) {
    const lines = step.input.replace(/\n$/, '').split('\n');
    return `printf '%s\\n' ${lines.map(shellQuote).join(' ')} | ${line}`;
  }
  return line;
}

export interface StepOutput {
  stdout: string;
  stderr: string;
}

/** Runs steps in order; the first failure throws (exit 1) with the command and its output. */
export async function runSteps(steps: Step[], privilege: Privilege, env: NodeJS.ProcessEnv = process.env): Promise<StepOutput[]> {
  const outputs: StepOutput[] = [];
  for (const step of steps) outputs.push(await runStep(step, privilege, env));
  return outputs;
}

async function runStep(step: Step, privilege: Privilege, env: NodeJS.ProcessEnv): Promise<StepOutput> {
  if (needsSudo(step, privilege)) {
    if (!(await which('sudo', env))) {
      throw fail(
        `\`${describeStep(step, { ...privilege, canSudo: false })}\` needs root, and sudo is not installed`,
        'Run the same lab command as root.',
      );
    }
    return execStep(['sudo', ...stepCommand(step)], step.kind === 'exec' ? step.input : undefined, env, step);
  }
  try {
    switch (step.kind) {
      case 'exec':
        return await execStep(step.argv, step.input, env, step);
      case 'mkdir':
        await mkdir(step.path, { mode: step.mode });
        await chmod(step.path, step.mode); // the umask narrows the mode given to mkdir
        break;
      case 'copy':
        await copyFile(step.from, step.to);
        await chmod(step.to, step.mode);
        break;
      case 'remove':
        await rm(step.path, { force: true });
        break;
      case 'rmdir':
        try {
          await rmdir(step.path);
        } catch (err) {
          const code = errnoCode(err);
          if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw err;
        }
        break;
    }
  } catch (err) {
    const code = errnoCode(err);
    const hint = code === 'EACCES' || code === 'EPERM' ? 'Run the same lab command as root, or as a user who may use sudo.' : undefined;
    throw fail(`\`${describeStep(step, privilege)}\` failed: ${errorMessage(err)}`, hint);
  }
  return { stdout: '', stderr: '' };
}

async function execStep(argv: string[], input: string | undefined, env: NodeJS.ProcessEnv, step: Step): Promise<StepOutput> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty command');
  const result = await execa(file, args, {
    reject: false,
    env,
    // sudo asks for a password on the terminal; everything else gets no stdin.
    ...(input !== undefined ? { input } : { stdin: file === 'sudo' ? ('inherit' as const) : ('ignore' as const) }),
  });
  if (result.failed) {
    const missing = errnoCode(result) === 'ENOENT' || /ENOENT/.test(result.shortMessage ?? '');
    const output = `${result.stderr}\n${result.stdout}`.trim().split('\n').filter(Boolean).slice(-5);
    throw fail(
      missing
        ? `\`${file}\` is not installed (needed for \`${stepCommand(step).join(' ')}\`)`
        : `\`${argv.map(shellQuote).join(' ')}\` failed with exit code ${result.exitCode ?? '?'}`,
      missing
        ? 'Install it, or leave out the trust store that needs it.'
        : 'Its output is below; fix the cause and run lab again (it picks up where it stopped).',
      output,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr };
}
