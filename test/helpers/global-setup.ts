import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { LAB_BIN, REPO_ROOT } from './cli.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Tests run the built CLI; rebuild when the sources are newer than the build. */
export default async function setup(): Promise<void> {
  let built = 0;
  try {
    built = statSync(LAB_BIN).mtimeMs;
  } catch {
    built = 0;
  }
  if (newestMtime(join(REPO_ROOT, 'src')) > built) {
    await execa(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
}
