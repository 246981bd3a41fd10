import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Temp folders that may be made anywhere (inside tests and hooks, where the shared
 * tempDir() cannot register its cleanup). Call once at the top level of a test file;
 * every folder it made is removed after the file's tests (LAB_KEEP_TMP=1 keeps them).
 */
export function scratchDirs(): (prefix: string) => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    if (process.env.LAB_KEEP_TMP) return;
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async (prefix) => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
