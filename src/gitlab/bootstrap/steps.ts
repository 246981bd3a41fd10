import { errorMessage, LabError } from '../../util/errors.js';

/**
 * The bootstrap's steps, as the progress lines and error messages name them. A re-run
 * walks them again from the top; each one checks what is already in place first, so a
 * run that stopped anywhere resumes where it stopped.
 */
export type StepName = 'root password' | 'admin token' | 'runner' | 'runner start' | 'runner contact';

/**
 * The points between a side effect and the record of it: where a crash hurts most.
 * `LAB_TEST_KILL_AT=<point>` makes lab SIGKILL itself there (see `killPoint`).
 */
export const KILL_POINTS = [
  // admin-token.json holds the new token as "pending"; GitLab does not know it yet.
  'admin-token:persisted',
  // gitlab-rails created the token in GitLab; the file still says "pending".
  'admin-token:created',
  // GitLab created the runner; runner.json does not know it yet (an orphan).
  'runner:created',
  // runner.json holds the new runner; config.toml and the container do not yet.
  'runner:stored',
  // The runner container runs with the token; GitLab has not heard from it yet.
  'runner:started',
] as const;

export type KillPoint = (typeof KILL_POINTS)[number];

/**
 * TEST HOOK (crash-safety tests only): `LAB_TEST_KILL_AT=<point>` kills lab with SIGKILL
 * at that point, as a power cut or `kill -9` would, without cleanup handlers. Nothing
 * else in lab reads this variable, and unset it costs one comparison.
 */
export function killPoint(point: KillPoint): void {
  if (process.env.LAB_TEST_KILL_AT === point) process.kill(process.pid, 'SIGKILL');
}

/**
 * The failure of one step: which step, why, what to do, and the involved container's last
 * log lines. A LabError keeps its own hint and details.
 */
export function asStepError(step: StepName, err: unknown, logDetails: string[]): LabError {
  const own = err instanceof LabError ? err : undefined;
  return new LabError(`GitLab bootstrap failed at "${step}": ${errorMessage(err)}`, {
    hint: own?.hint ?? 'Fix the cause and run `lab up` again: it resumes where it stopped.',
    details: [...(own?.details ?? []), ...logDetails],
    cause: err,
  });
}
