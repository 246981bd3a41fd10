import * as v from 'valibot';
import { readJsonSecret } from '../../util/secret-files.js';
import { registerSecret } from '../../util/secrets.js';

/**
 * `.lab/secrets/runner.json`: the runner lab registered, `{"id": <n>, "token": "glrt-…", …}`.
 * The one reader of that file, for the bootstrap, for rendering config.toml and for doctor.
 */
const RunnerRecord = v.looseObject({
  id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  token: v.pipe(v.string(), v.startsWith('glrt-')),
});
export type RunnerRecord = v.InferOutput<typeof RunnerRecord>;

const HINT = 'It holds the runner credentials; delete it and run `lab up` to register the runner again.';

/** The stored runner, or undefined before there is one; its token is registered as a secret at once. */
export async function readRunnerRecord(file: string): Promise<RunnerRecord | undefined> {
  const stored = await readJsonSecret(file, RunnerRecord, HINT);
  if (stored) registerSecret(stored.token);
  return stored;
}

/**
 * The short form of a runner token that gitlab-runner puts into the names and the
 * `com.gitlab.gitlab-runner.runner.id` label of everything its docker executor creates
 * (helpers.ShortenToken: the token without its prefix, first 9 characters).
 */
export function runnerShortToken(token: string): string {
  return token.replace(/^glrt-(t[123]_)?/, '').slice(0, 9);
}
