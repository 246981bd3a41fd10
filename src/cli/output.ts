import { redact } from '../util/secrets.js';

export type Style = (text: string) => string;

export interface Styles {
  bold: Style;
  dim: Style;
  green: Style;
  yellow: Style;
  red: Style;
  cyan: Style;
}

/**
 * Everything lab prints goes through here, so that colour follows NO_COLOR and
 * the TTY, `--quiet` is honoured in one place, and known secrets are masked.
 */
export interface Output {
  readonly color: boolean;
  /** stdout is an interactive terminal and we are not in CI: spinners and task trees are fine. */
  readonly interactive: boolean;
  readonly quiet: boolean;
  readonly style: Styles;
  /** Progress and chatter; silent with --quiet. */
  info(text: string): void;
  /** The command's result; printed even with --quiet. */
  result(text: string): void;
  warn(text: string): void;
  json(value: unknown): void;
  /** Prints a secret on purpose (only `lab credentials` does this). */
  secret(text: string): void;
}

export interface OutputOptions {
  quiet?: boolean;
  color?: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if ('NO_COLOR' in env && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false';
}

const ansi =
  (open: number, close: number): Style =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Style = (text) => text;

export function createOutput(options: OutputOptions = {}): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const color = options.color ?? colorEnabled(stdout, env);
  const quiet = options.quiet ?? false;
  const style: Styles = color
    ? { bold: ansi(1, 22), dim: ansi(2, 22), green: ansi(32, 39), yellow: ansi(33, 39), red: ansi(31, 39), cyan: ansi(36, 39) }
    : { bold: plain, dim: plain, green: plain, yellow: plain, red: plain, cyan: plain };
  const write = (stream: NodeJS.WriteStream, text: string) => stream.write(`${redact(text)}\n`);
  return {
    color,
    interactive: stdout.isTTY === true && !isCI(env),
    quiet,
    style,
    info: (text) => {
      if (!quiet) write(stdout, text);
    },
    result: (text) => write(stdout, text),
    warn: (text) => write(stderr, text),
    json: (value) => write(stdout, JSON.stringify(value, null, 2)),
    secret: (text) => stdout.write(`${text}\n`),
  };
}
