import * as v from 'valibot';
import { registerSecret } from '../util/secrets.js';
import { readJsonSecret, type SecretFiles } from './secrets.js';

/**
 * `.lab/secrets/runner.json`: the runner lab registered, `{"id": <n>, "token": "glrt-…", …}`.
 * The one reader of that file, for the bootstrap, for rendering config.toml and for doctor.
 */
const RunnerFile = v.looseObject({
  id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  token: v.pipe(v.string(), v.startsWith('glrt-')),
});
export type RunnerFile = v.InferOutput<typeof RunnerFile>;

const HINT = 'It holds the runner credentials; delete it and run `lab up` to register the runner again.';

/** The stored runner, or undefined before there is one; its token is registered as a secret at once. */
export async function readRunnerFile(files: SecretFiles): Promise<RunnerFile | undefined> {
  const stored = await readJsonSecret(files.runner, RunnerFile, HINT);
  if (stored) registerSecret(stored.token);
  return stored;
}
