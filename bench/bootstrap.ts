// Benchmark: the GitLab bootstrap inside `lab up`, from "GitLab ready" to "runner in contact"
// (root password in place, admin token created with gitlab-rails runner, runner created
// through the API and stored, config.toml rendered, runner container started, and a contact
// from the runner itself recorded by GitLab). Target: median ≤ 1.5 s on the fixture stack.
//
// Method, measured from the outside:
// - The built CLI runs with stdout piped, so lab prints plain progress lines as events
//   happen (no TTY, no task tree). The bench stamps every line on arrival with
//   performance.now(); lab's own HH:MM:SS stamps are too coarse and are not used.
// - "GitLab ready" is the arrival of `done  Readiness › wait for gitlab`; "runner in contact"
//   is the arrival of `done  Runner › GitLab bootstrap and runner`, since the bootstrap task
//   only returns once the runner has contacted GitLab. The figure is the difference.
// - First bootstrap: before each run the lab is destroyed and `.lab/` removed, so every
//   run creates the admin token, the runner and the runner container from nothing.
//   Re-run: `lab up` on the converged lab (token checked, runner reused, its recent contact seen).
// - The runner double's poll interval (`check_interval` in the rendered config.toml) is
//   the part of the contact that belongs to the runner, not to lab. The fixture polls once
//   as soon as it starts and then every check_interval; since lab writes the token before
//   the container starts, the first poll is the one GitLab sees. The bench checks that
//   from the runner's log (the first poll is not a rejected one) and reports the median
//   with that wait (zero intervals) subtracted; a run that needed a second poll would
//   have one check_interval subtracted.
// Prints medians; asserts nothing.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parse } from 'smol-toml';
import { fixtureLab, missingFixtures } from '../test/helpers/fixture-lab.js';

const LAB = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const RUNS = Math.max(Number(process.env.BENCH_RUNS ?? 5), 5);
const READY_AFTER_MS = 300;
const UP = ['up', '--pull', 'never', '--timeout', '120s'];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const fmt = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

async function lab(args: string[], cwd: string): Promise<void> {
  const r = await execa(process.execPath, [LAB, ...args], { cwd, reject: false, env: { NO_COLOR: '1', CI: '1' } });
  if (r.exitCode !== 0) throw new Error(`lab ${args.join(' ')} failed (${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
}

/** `lab up`, with the arrival time of each stdout line; returns ready → online in ms. */
async function timedUp(cwd: string): Promise<number> {
  const child = execa(process.execPath, [LAB, ...UP], {
    cwd,
    reject: false,
    env: { NO_COLOR: '1', CI: '1' },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let ready: number | undefined;
  let online: number | undefined;
  const lines: string[] = [];
  if (!child.stdout) throw new Error('no stdout');
  for await (const line of createInterface({ input: child.stdout })) {
    const now = performance.now();
    lines.push(line);
    if (/done\s+Readiness › wait for gitlab/.test(line)) ready = now;
    if (/done\s+Runner › GitLab bootstrap/.test(line)) online = now;
  }
  const r = await child;
  if (r.exitCode !== 0 || ready === undefined || online === undefined)
    throw new Error(`lab up failed (${r.exitCode}):\n${lines.join('\n')}\n${r.stderr}`);
  return online - ready;
}

/** How many of the runner's polls GitLab rejected before the one that made it online (from its log). */
async function rejectedPolls(name: string): Promise<number> {
  const r = await execa('docker', ['logs', `${name}-runner-1`], { reject: false, all: true });
  return (r.all ?? '').split('\n').filter((l) => /Checking for jobs\.\.\. (forbidden|skipped|failed)/.test(l)).length;
}

async function main(): Promise<void> {
  const missing = await missingFixtures();
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing; run scripts/fixtures.sh`);
  const { dir, name } = await fixtureLab((prefix) => mkdtemp(join(tmpdir(), `bench-${prefix}`)), {
    prefix: 'bb',
    readyAfterMs: READY_AFTER_MS,
  });
  try {
    const first: number[] = [];
    const adjusted: number[] = [];
    let interval = 3;
    for (let i = 0; i < RUNS; i++) {
      await lab(['destroy', '--yes'], dir);
      await rm(join(dir, '.lab'), { recursive: true, force: true });
      const ms = await timedUp(dir);
      const config = parse(await readFile(join(dir, '.lab', 'runner', 'config.toml'), 'utf8')) as { check_interval?: number };
      interval = Number(config.check_interval) > 0 ? Number(config.check_interval) : 3;
      first.push(ms);
      adjusted.push(ms - (await rejectedPolls(name)) * interval * 1000);
    }
    const rerun: number[] = [];
    for (let i = 0; i < RUNS; i++) rerun.push(await timedUp(dir));

    console.log(`bootstrap, first run (GitLab ready → runner in contact), runs: ${first.map(fmt).join(', ')}`);
    console.log(`bootstrap, first run: median ${fmt(median(first))} over ${first.length} runs; runner check_interval ${interval} s`);
    console.log(
      `bootstrap, first run, minus the runner's poll waits (${interval} s per poll before the one that counted): median ${fmt(median(adjusted))} (target ≤ 1.5 s)`,
    );
    console.log(
      `bootstrap, re-run on a converged lab (token checked, runner reused, its contact seen): median ${fmt(median(rerun))} over ${rerun.length} runs`,
    );
  } finally {
    await execa(process.execPath, [LAB, 'destroy', '--yes'], { cwd: dir, reject: false });
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
