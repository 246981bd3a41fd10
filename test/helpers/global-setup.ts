import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { LAB_BIN, REPO_ROOT } from './cli.js';
import { reap } from './reaper.js';
import { runId } from './run-label.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

async function engineAnswers(): Promise<boolean> {
  const r = await execa('docker', ['version', '--format', '{{.Server.Version}}'], { reject: false, timeout: 10_000 });
  return r.exitCode === 0;
}

/**
 * Once per run, before any test: a run id for the labels (inherited by the workers through
 * LAB_TEST_RUN), the leftovers of killed runs reaped, and the CLI rebuilt when the sources
 * are newer than the build (tests run the built CLI). The teardown reaps this run's own
 * leftovers, whatever a failed test left behind.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const run = runId();
  const engine = await engineAnswers();
  if (engine) {
    const reaped = await reap();
    if (reaped > 0) process.stderr.write(`reaper: removed ${reaped} resources left by killed test runs\n`);
  }
  let built = 0;
  try {
    built = statSync(LAB_BIN).mtimeMs;
  } catch {
    built = 0;
  }
  if (newestMtime(join(REPO_ROOT, 'src')) > built) {
    await execa(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  return async () => {
    if (engine && !process.env.LAB_KEEP_TMP) await reap(run);
  };
}
