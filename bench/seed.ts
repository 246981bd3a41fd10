// Benchmark: `lab seed --attendees 30` against the GitLab double with a per-request latency
// like a real GitLab's (FIXTURE_API_LATENCY_MS, default 150 ms on every /api/v4 request).
//
// Method, measured from the outside:
// - One fixture lab (`lab up --skip-runner`, so no job runs and eats CPU) with an admin token
//   made inside the container; every run starts from nothing (`lab seed --remove` before it,
//   not timed) and seeds the built-in workshop plus 30 attendees: 31 copies, 62 projects.
// - Wall time is the `lab seed` process from spawn to exit. lab reports its API calls
//   (`apiCalls` in --json, retries included); their latencies laid end to end are
//   calls × latency. The ratio is wall time ÷ that sum (target ≤ 0.25).
// - The double does real work too (git plumbing for every commit, a pipeline per push), which
//   on a busy machine can cost more than the latency. So the same runs are repeated with the
//   latency at 0 (GitLab recreated with the other setting, its data kept), and the bench also
//   prints the share of the injected latency that lab did not hide: (wall − wall at 0 ms) ÷ sum.
// - Also a re-run on the seeded lab (creates nothing, looks everything up).
// Prints medians; asserts nothing. BENCH_RUNS (≥ 3, default 3), BENCH_ATTENDEES, BENCH_LATENCY_MS.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createAdminToken, fixtureLab, missingFixtures } from '../test/helpers/fixture-lab.js';
import { writeAdminToken } from '../test/seed/helpers.js';

const RUNS = Math.max(Number(process.env.BENCH_RUNS ?? 3), 3);
const ATTENDEES = Number(process.env.BENCH_ATTENDEES ?? 30);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 150);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const missing = await missingFixtures();
if (missing.length > 0) {
  console.log(`skipped: fixture images missing (${missing.join(', ')}); run scripts/fixtures.sh`);
  process.exit(0);
}

const made: string[] = [];
const lab = await fixtureLab(
  async (prefix) => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  },
  { prefix: 'bs' },
);

async function timedSeed(args: string[]): Promise<{ ms: number; calls: number }> {
  const start = performance.now();
  const r = await lab.lab(['seed', ...args, '--json'], { CI: '1' });
  const ms = performance.now() - start;
  if (r.exitCode !== 0) throw new Error(`lab seed ${args.join(' ')} failed (${r.exitCode}):\n${r.all}`);
  return { ms, calls: (JSON.parse(r.stdout) as { apiCalls: number }).apiCalls };
}

type Run = { ms: number; calls: number };

async function runsAt(latency: number): Promise<{ first: Run[]; again: Run[] }> {
  await lab.write({ FIXTURE_API_LATENCY_MS: String(latency) });
  const up = await lab.up(['--timeout', '180s']);
  if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.all}`);
  const first: Run[] = [];
  const again: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const removed = await lab.lab(['seed', '--remove']);
    if (removed.exitCode !== 0) throw new Error(`lab seed --remove failed:\n${removed.all}`);
    first.push(await timedSeed(['--attendees', String(ATTENDEES)]));
    again.push(await timedSeed([]));
  }
  return { first, again };
}

try {
  const up = await lab.up(['--timeout', '180s']);
  if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.all}`);
  await writeAdminToken(lab, await createAdminToken(lab));

  const slow = await runsAt(LATENCY_MS);
  const fast = await runsAt(0);
  const report = (name: string, runs: Run[], base: Run[]) => {
    const wall = median(runs.map((r) => r.ms));
    const calls = median(runs.map((r) => r.calls));
    const sum = calls * LATENCY_MS;
    const wall0 = median(base.map((r) => r.ms));
    console.log(
      `${name}: median ${fmt(wall)}, ${calls} API calls (${fmt(sum)} of latency end to end): ratio ${(wall / sum).toFixed(3)} (target ≤ 0.25); ` +
        `at 0 ms ${fmt(wall0)}, so the unhidden share of the latency is ${((wall - wall0) / sum).toFixed(3)}`,
    );
  };
  console.log(`lab seed with ${ATTENDEES} attendees, ${LATENCY_MS} ms per API request, ${RUNS} runs each`);
  report('first seed', slow.first, fast.first);
  report('re-run    ', slow.again, fast.again);
} finally {
  await lab.purge();
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
}
