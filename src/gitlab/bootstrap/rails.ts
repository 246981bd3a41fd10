import type { ExecOptions, ExecResult } from '../../util/exec-types.js';

/**
 * Ruby in the GitLab container through `gitlab-rails runner`
 * (https://docs.gitlab.com/administration/operations/rails_console/#using-the-rails-runner).
 *
 * The script travels on stdin, never on the command line: a command line shows up in
 * `docker inspect` of the exec and in `ps` inside the container, and scripts here carry
 * tokens. Rails' runner reads its script from stdin when the argument is `-`
 * (railties' RunnerCommand: `[<'Some.ruby(code)'> | <filename.rb> | -]`).
 */
export type Exec = (containerId: string, cmd: string[], options?: ExecOptions) => Promise<ExecResult>;

const GITLAB_RAILS = '/opt/gitlab/bin/gitlab-rails';

export interface RailsResult extends ExecResult {
  /** The exact command that ran (no secrets in it by construction). */
  cmd: string[];
}

export async function railsRunner(exec: Exec, containerId: string, script: string, timeoutMs: number): Promise<RailsResult> {
  const cmd = [GITLAB_RAILS, 'runner', '-'];
  return { ...(await exec(containerId, cmd, { stdin: script, timeoutMs })), cmd };
}

/**
 * A Ruby single-quoted literal for a value lab generated itself (a token, a name).
 * Unlike the Omnibus renderer's rubyString, which escapes user text, this refuses anything
 * outside a plain charset: such a value here would mean a bug, not input.
 */
export function checkedRubyString(value: string): string {
  if (!/^[A-Za-z0-9_.:-]*$/.test(value)) throw new Error('refusing to put an unexpected character into a Ruby literal');
  return `'${value}'`;
}
