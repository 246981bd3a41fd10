import { join } from 'node:path';
import type { LabPaths } from '../config/paths.js';
import { fail } from '../util/errors.js';
import { readTextOptional } from '../util/fs.js';
import { registerSecret } from '../util/secrets.js';

/** Where the bootstrap (issue 5) keeps the runner credentials: `{"id": <n>, "token": "glrt-…"}`, mode 0600. */
export function runnerCredentialsFile(paths: LabPaths): string {
  return join(paths.secretsDir, 'runner.json');
}

/**
 * The runner token for config.toml, or undefined before the runner exists. The value is
 * registered as a secret, so the output layer masks it wherever it might be printed.
 */
export async function readRunnerToken(paths: LabPaths): Promise<string | undefined> {
  const file = runnerCredentialsFile(paths);
  const text = await readTextOptional(file);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail(`${file} is not valid JSON`, 'It holds the runner credentials; delete it and run `lab up` to register the runner again.');
  }
  const token = parsed !== null && typeof parsed === 'object' ? (parsed as { token?: unknown }).token : undefined;
  if (typeof token !== 'string') {
    throw fail(`${file} has no "token" string`, 'Delete it and run `lab up` to register the runner again.');
  }
  return registerSecret(token);
}
