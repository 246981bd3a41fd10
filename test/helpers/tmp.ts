import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

// Registered while the importing test file is collected, so it holds wherever tempDir()
// is called later: at the top level, inside a hook, or inside a test. (vitest isolates
// test files, so each file gets its own list and its own hook.)
afterAll(async () => {
  if (process.env.LAB_KEEP_TMP) return;
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh folder, removed after the file's tests finish (LAB_KEEP_TMP=1 keeps them). */
export async function tempDir(prefix = 'lab-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
