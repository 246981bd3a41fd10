// `lab --version` must stay fast (target ≤ 150 ms): the heavy modules (dockerode, listr2,
// node-forge, valibot) load only inside the commands. Prints the median of 10 runs.
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

const LAB = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 10));

const times: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  await execa(process.execPath, [LAB, '--version']);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const m = Math.floor(times.length / 2);
const median = times.length % 2 ? (times[m] ?? 0) : ((times[m - 1] ?? 0) + (times[m] ?? 0)) / 2;
console.log(`lab --version: median ${median.toFixed(0)} ms over ${times.length} runs (target ≤ 150 ms)`);
