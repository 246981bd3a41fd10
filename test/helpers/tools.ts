// Programs the tests run that the project's scripts install (scripts/test-deps.sh and
// scripts/fixtures.sh). A test calls requireTool in its beforeAll: a missing program fails
// the suite with the reason instead of skipping, so CI cannot pass without it.
//
// No vitest import here: benches use this module too.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

async function onPath(program: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      await access(join(dir, program), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

function answers(program: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: 20_000 }, (error) => resolve(error === null));
  });
}

/**
 * Throws `<name> is not installed: scripts/test-deps.sh should have installed it` unless
 * the program is on PATH. `docker compose` counts as installed when the plugin answers
 * `docker compose version`.
 */
export async function requireTool(name: string): Promise<void> {
  const [program = '', ...sub] = name.trim().split(/\s+/);
  const installed = sub.length > 0 ? await answers(program, [...sub, 'version']) : await onPath(program);
  if (!installed) throw new Error(`${name} is not installed: scripts/test-deps.sh should have installed it`);
}
