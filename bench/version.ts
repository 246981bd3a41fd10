import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

// `lab --version` must stay fast (target ≤ 150 ms): the heavy modules (dockerode, listr2,
// node-forge, valibot) load only inside the commands, and dist/ is bundled.
//
// Node reads NODE_EXTRA_CA_CERTS at start-up, before any of lab's code runs (~80 ms for a
// full system bundle on this kind of machine). Sandboxes set it, laptops rarely do; so the
// median is printed both ways, next to a bare `node -e 0` for scale. The target is judged
// on the run without it, which measures lab rather than the environment.

const LAB = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 10));

async function median(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await execa(process.execPath, args, { env, extendEnv: false });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const m = Math.floor(times.length / 2);
  return times.length % 2 ? (times[m] ?? 0) : ((times[m - 1] ?? 0) + (times[m] ?? 0)) / 2;
}

const asIs: Record<string, string | undefined> = { ...process.env };
const bare: Record<string, string | undefined> = { ...process.env };
delete bare.NODE_EXTRA_CA_CERTS;

const lab = await median([LAB, '--version'], bare);
const node = await median(['-e', '0'], bare);
console.log(`lab --version: median ${lab.toFixed(0)} ms over ${RUNS} runs (target ≤ 150 ms); node -e 0 alone: ${node.toFixed(0)} ms`);
if (process.env.NODE_EXTRA_CA_CERTS) {
  const withCerts = await median([LAB, '--version'], asIs);
  console.log(`  with this environment's NODE_EXTRA_CA_CERTS set: median ${withCerts.toFixed(0)} ms`);
}
