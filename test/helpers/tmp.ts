import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh folder, removed after the file's tests finish. */
export async function tempDir(prefix = 'lab-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  afterAll(async () => {
    if (!process.env.LAB_KEEP_TMP) await rm(dir, { recursive: true, force: true });
  });
  return dir;
}
