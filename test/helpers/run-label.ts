// Every container, network, volume and image a test run creates carries the label
// `test.lab.run=<run id>`, so that a run that was killed leaves nothing behind for good:
// the next run's global setup reaps what dead runs labelled (see reaper.ts), the way
// testcontainers' reaper removes a dead session's resources.
//
// No vitest import here: benches and the global setup use this module too.

export const RUN_LABEL = 'test.lab.run';

/**
 * The id of this test run: `<pid of the vitest main process>.<random>`, set by the global
 * setup in LAB_TEST_RUN and inherited by every worker. Outside vitest (benches) the id is
 * made from this process, so their leftovers are reaped the same way once it has exited.
 */
export function runId(): string {
  process.env.LAB_TEST_RUN ??= `${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
  return process.env.LAB_TEST_RUN;
}

/** `--label test.lab.run=<id>`, for `docker run`, `docker network create`, `docker volume create`, `docker build`. */
export function runLabelArgs(): string[] {
  return ['--label', `${RUN_LABEL}=${runId()}`];
}

/** The same as a label map, for lab.yml's `labels:` and the Engine API. */
export function runLabels(): Record<string, string> {
  return { [RUN_LABEL]: runId() };
}
