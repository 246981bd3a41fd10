// Benchmarks for the engine commands on the fixture stack (images present, nothing pulled):
//   1. `lab up --skip-runner` overhead: wall time minus the GitLab fixture's readiness delay
//      (target ≤ 2 s), cold (empty folder: CA and leaf are minted) and warm (certs exist).
//   2. a no-op `lab up` on a converged stack (target ≤ 1.5 s, zero containers recreated).
//   3. `lab status` (target ≤ 0.5 s).
// Prints medians of at least 5 runs; asserts nothing.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { fixtureLab, missingFixtures } from '../test/helpers/fixture-lab.js';

const LAB = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const READY_AFTER_MS = 1000;

async function lab(args: string[], cwd: string): Promise<number> {
  const t0 = performance.now();
  const r = await execa(process.execPath, [LAB, ...args], { cwd, reject: false, env: { NO_COLOR: '1', CI: '1' } });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

async function containerIds(name: string): Promise<string> {
  const r = await execa('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=dev.lab.stack=${name}`]);
  return r.stdout.split('\n').sort().join(',');
}

/** A fixture lab in a folder of its own (removed at the end). */
const newLab = () => fixtureLab((prefix) => mkdtemp(join(tmpdir(), `bench-${prefix}`)), { prefix: 'b', readyAfterMs: READY_AFTER_MS });

const UP = ['up', '--skip-runner', '--pull', 'never', '--timeout', '120s'];

async function main(): Promise<void> {
  const missing = await missingFixtures();
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing; run scripts/fixtures.sh`);
  const cleanup: { dir: string; name: string }[] = [];
  try {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const l = await newLab();
      cleanup.push(l);
      cold.push((await lab(UP, l.dir)) - READY_AFTER_MS);
      // Same folder again without containers: the certificates are reused.
      await lab(['destroy', '--yes'], l.dir);
      warm.push((await lab(UP, l.dir)) - READY_AFTER_MS);
      if (i < RUNS - 1) await lab(['destroy', '--yes'], l.dir);
    }
    const converged = cleanup[cleanup.length - 1];
    if (!converged) throw new Error('no lab');
    const before = await containerIds(converged.name);
    const noop: number[] = [];
    for (let i = 0; i < RUNS; i++) noop.push(await lab(UP, converged.dir));
    const recreated = (await containerIds(converged.name)) === before ? 0 : 'some';
    const status: number[] = [];
    for (let i = 0; i < Math.max(RUNS, 10); i++) status.push(await lab(['status'], converged.dir));

    console.log(
      `lab up overhead, cold (empty folder, CA minted), readiness delay ${READY_AFTER_MS} ms subtracted: median ${fmt(median(cold))} over ${cold.length} runs (target ≤ 2 s)`,
    );
    console.log(
      `lab up overhead, warm (certs present, no containers):                           median ${fmt(median(warm))} over ${warm.length} runs (target ≤ 2 s)`,
    );
    console.log(
      `lab up no-op on a converged stack: median ${fmt(median(noop))} over ${noop.length} runs, containers recreated: ${recreated} (target ≤ 1.5 s, 0)`,
    );
    console.log(`lab status: median ${fmt(median(status))} over ${status.length} runs (target ≤ 0.5 s)`);
  } finally {
    for (const l of cleanup) {
      await execa(process.execPath, [LAB, 'destroy', '--yes'], { cwd: l.dir, reject: false });
      await rm(l.dir, { recursive: true, force: true });
    }
  }
}

await main();
