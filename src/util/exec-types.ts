/**
 * A command run in a container, as every layer sees it: the engine runs it, the GitLab
 * bootstrap and the readiness checks only hand it over (so they need no engine).
 */
export interface ExecOptions {
  /** Written to the command's stdin, then closed: the channel for secrets, which a command line would expose. */
  stdin?: string;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
