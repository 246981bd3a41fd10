/**
 * Every failure lab reports carries an exit code and, ideally, a hint.
 * Exit code 2 means the user asked for something invalid (usage or config);
 * exit code 1 means the world did not cooperate (engine, network, files).
 */
export type ExitCode = 1 | 2;

export class LabError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  /** Extra lines shown after the hint, e.g. a container's last log lines. */
  readonly details: string[];

  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; details?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LabError';
    this.exitCode = options.exitCode ?? 1;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }
}

/** Bad command-line usage or bad configuration: exit code 2. */
export class UsageError extends LabError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, ...(hint === undefined ? {} : { hint }) });
    this.name = 'UsageError';
  }
}

/** A runtime failure: exit code 1. */
export function fail(message: string, hint?: string, details?: string[]): LabError {
  return new LabError(message, { exitCode: 1, ...(hint === undefined ? {} : { hint }), ...(details ? { details } : {}) });
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Node's system errors carry a `code`; this reads it without `any`. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** The first line of a message, trimmed: fit for a one-line error. */
export function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').trim();
}

/** A container's log lines as error details, under a heading naming the container. */
export function logDetails(containerName: string, lines: string[]): string[] {
  if (lines.length === 0) return [`${containerName} has written no log lines`];
  return [`last ${lines.length} log lines of ${containerName}:`, ...lines.map((l) => `  ${l}`)];
}
