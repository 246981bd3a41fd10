/**
 * bench/certs: `lab certs` against mkcert on this machine, in one alternating run.
 *
 *   1. cold: a fresh CA plus a leaf for gitlab.test, registry.test, traefik.test
 *   2. leaf-only: a new leaf from an existing CA (`lab certs --renew` vs mkcert with
 *      an existing CAROOT). A lab reissue keeps the leaf's key pair, as certbot's
 *      --reuse-key does; mkcert always makes a new one. So that the comparison is not
 *      only about that choice, a third line times `lab certs --new-key`, which
 *      generates a new RSA key as mkcert does.
 *
 * Wall-clock of the whole process on both sides, started the same way (execa).
 * Pairs alternate which tool goes first, so drift on a busy machine hits both.
 * It builds nothing: run `npm run build` first, or `bench/run`, which does.
 * Benchmarks print; they do not assert. Target: lab/mkcert <= 1.0 on both.
 *
 * Env: BENCH_PAIRS (default 15, at least 5: RSA prime search is heavy-tailed, so fewer
 * pairs give a jumpy median), BENCH_KEEP_ENV=1 keeps NODE_EXTRA_CA_CERTS (see below).
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const LAB = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const HOSTS = ['gitlab.test', 'registry.test', 'traefik.test'];
const PAIRS = Math.max(5, Number(process.env.BENCH_PAIRS ?? 15) || 15);

// Node reads NODE_EXTRA_CA_CERTS eagerly at start-up (~50 ms for a full system bundle);
// sandboxes set it, desktops rarely do, and mkcert ignores it. It is dropped for both
// sides unless BENCH_KEEP_ENV=1, and the run says so.
const keepEnv = process.env.BENCH_KEEP_ENV === '1';
const baseEnv: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
if (!keepEnv) delete baseEnv.NODE_EXTRA_CA_CERTS;

async function timed(cmd: string, args: string[], env: Record<string, string | undefined>, cwd: string): Promise<number> {
  const start = performance.now();
  const result = await execa(cmd, args, { env, extendEnv: false, cwd, reject: false, all: true });
  const ms = performance.now() - start;
  if (result.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.exitCode}):\n${result.all ?? ''}`);
  return ms;
}

async function fresh(root: string, name: string): Promise<string> {
  return mkdtemp(join(root, `${name}-`));
}

// mkcert: TRUST_STORES=none keeps it from even checking the system, NSS and Java
// stores, its fastest mode; without -install it installs nothing either way.
const mkcertEnv = (caroot: string) => ({ ...baseEnv, CAROOT: caroot, TRUST_STORES: 'none' });
const mkcertArgs = ['-cert-file', 'lab.pem', '-key-file', 'lab-key.pem', ...HOSTS];

const lab = {
  cold: async (root: string) => timed(process.execPath, [LAB, '--dir', await fresh(root, 'lab'), '--quiet', 'certs'], baseEnv, root),
  leaf: (dir: string) => timed(process.execPath, [LAB, '--dir', dir, '--quiet', 'certs', '--renew'], baseEnv, dir),
  newKey: (dir: string) => timed(process.execPath, [LAB, '--dir', dir, '--quiet', 'certs', '--new-key'], baseEnv, dir),
};
const mkcert = {
  cold: async (root: string) => {
    const dir = await fresh(root, 'mkcert');
    return timed('mkcert', mkcertArgs, mkcertEnv(join(dir, 'ca')), dir);
  },
  leaf: (dir: string) => timed('mkcert', mkcertArgs, mkcertEnv(join(dir, 'ca')), dir),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<number> {
  const probe = await execa('mkcert', ['-version'], { reject: false });
  if (probe.exitCode !== 0) {
    process.stderr.write('bench/certs: mkcert is not installed; install it with `apt-get install mkcert` (Debian/Ubuntu) and run again.\n');
    return 1;
  }
  if (!existsSync(LAB)) {
    process.stderr.write(`bench/certs: ${LAB} is missing; run \`npm run build\` (or bench/run, which builds first).\n`);
    return 1;
  }
  const root = await mkdtemp(join(tmpdir(), 'lab-bench-certs-'));
  try {
    // Leaf-only needs one existing CA per tool; made once, outside the timings.
    const labDir = await fresh(root, 'lab-leaf');
    const mkDir = await fresh(root, 'mk-leaf');
    await timed(process.execPath, [LAB, '--dir', labDir, '--quiet', 'certs'], baseEnv, root);
    await timed('mkcert', mkcertArgs, mkcertEnv(join(mkDir, 'ca')), mkDir);

    const times = {
      cold: { lab: [] as number[], mkcert: [] as number[] },
      leaf: { lab: [] as number[], mkcert: [] as number[] },
      newKey: { lab: [] as number[], mkcert: [] as number[] },
    };
    for (let i = 0; i < PAIRS; i++) {
      const labFirst = i % 2 === 0;
      for (const tool of labFirst ? (['lab', 'mkcert'] as const) : (['mkcert', 'lab'] as const)) {
        times.cold[tool].push(tool === 'lab' ? await lab.cold(root) : await mkcert.cold(root));
      }
      for (const tool of labFirst ? (['mkcert', 'lab'] as const) : (['lab', 'mkcert'] as const)) {
        times.leaf[tool].push(tool === 'lab' ? await lab.leaf(labDir) : await mkcert.leaf(mkDir));
      }
      for (const tool of labFirst ? (['lab', 'mkcert'] as const) : (['mkcert', 'lab'] as const)) {
        times.newKey[tool].push(tool === 'lab' ? await lab.newKey(labDir) : await mkcert.leaf(mkDir));
      }
    }

    const version = (probe.stdout || probe.stderr).trim();
    process.stdout.write(`bench/certs: ${PAIRS} alternating pairs; node ${process.version}, mkcert ${version}\n`);
    if (!keepEnv && process.env.NODE_EXTRA_CA_CERTS)
      process.stdout.write('  (NODE_EXTRA_CA_CERTS unset for both sides; BENCH_KEEP_ENV=1 keeps it)\n');
    const lines = [
      ['cold CA + leaf', 'cold'],
      ['leaf-only reissue', 'leaf'],
      ['  with --new-key', 'newKey'],
    ] as const;
    for (const [label, key] of lines) {
      const l = median(times[key].lab);
      const m = median(times[key].mkcert);
      const ratio = l / m;
      const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
      process.stdout.write(
        `  ${label.padEnd(18)} lab ${l.toFixed(0).padStart(5)} ms   mkcert ${m.toFixed(0).padStart(5)} ms   ratio ${ratio.toFixed(2)} ${key === 'newKey' ? '(for comparison; no target)' : ratio <= 1 ? '(target met)' : '(target ≤ 1.0 missed)'}\n` +
          `  ${''.padEnd(18)} lab [${all(times[key].lab)}]  mkcert [${all(times[key].mkcert)}]\n`,
      );
    }
    return 0;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench/certs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
