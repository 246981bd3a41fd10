// Benchmark: a CI pipeline that compiles the go-service (test/data/go-service) and pushes its
// image, per build strategy (`runner.docker`: socket, dind, remote), on the fixture lab.
//
// Method, measured from the outside:
// - One lab with its runner; this machine resolves and trusts the registry (as the serial
//   pipeline tests set it up), the Go image is copied into the registry for dind, and the
//   remote builder (test/helpers/pipeline-builder.ts) is started once. Between strategies only
//   lab.yml's `runner.docker` changes (`lab up` renders config.toml; the runner reloads it).
// - Each run pushes a new branch with a new greeting (so no build layer is cached), then reads
//   GitLab's job (`started_at`) and the job's trace, whose lines carry the runner's timestamps.
//   Times are from just before `git push`: to the job's start, and to the image in the
//   registry (the trace line with the push's digest).
// - The job split by its trace: prepare (images, services, the per-build network), the clone
//   (git through Traefik via host-gateway), lab's pre_build_script (the lab CA into the image's
//   bundle: from its first line, as the shell echoes it, to the job's first command), `docker
//   login`, the Go compile (the Dockerfile's RUN step), and `docker push`. The per-build
//   network's own cost is a `POST /networks/create` plus `DELETE` timed on the engine. "lab's
//   share" is what lab's wiring adds to a job: the clone through the proxy, pre_build_script
//   and the network.
// - Takes about 10 minutes at a load average of 4 on two cores (three runs of each strategy).
// Prints medians; asserts nothing. BENCH_RUNS (default 3), BENCH_STRATEGIES (socket,dind,remote).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { freePort } from '../test/helpers/docker.js';
import { missingFixtures } from '../test/helpers/fixture-lab.js';
import { type Builder, hostGateway, mintBuilderCerts, remoteRunnerLines, startBuilder } from '../test/helpers/pipeline-builder.js';
import { HostWiring } from '../test/helpers/pipeline-host.js';
import { type Job, missingJobImages, PipelineLab, type Project } from '../test/helpers/pipeline-lab.js';
import { runLabels } from '../test/helpers/run-label.js';

const RUNS = Math.max(Number(process.env.BENCH_RUNS ?? 3), 1);
const STRATEGIES = (process.env.BENCH_STRATEGIES ?? 'socket,dind,remote').split(',').filter(Boolean);

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const fmt = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : 'n/a');

interface Line {
  t: number;
  text: string;
}

/** The trace's lines with their timestamps ("<RFC 3339 µs>Z <2-hex stream><O|E><' '|'+'><text>"). */
function lines(trace: string): Line[] {
  const out: Line[] = [];
  for (const raw of trace.split('\n')) {
    // Section markers end in "\r\x1b[0K": a carriage return that `.` does not match.
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})\d{3}Z [0-9a-f]{2}[OE][ +](.*)$/.exec(raw.replaceAll('\r', ''));
    if (m?.[1]) out.push({ t: Date.parse(`${m[1]}Z`), text: m[2] ?? '' });
  }
  return out;
}

const at = (ls: Line[], test: (text: string) => boolean, after = 0) => ls.find((l) => l.t >= after && test(l.text))?.t ?? Number.NaN;
const section = (ls: Line[], name: string) => ({
  start: at(ls, (x) => x.includes(`section_start:`) && x.includes(`:${name}`)),
  end: at(ls, (x) => x.includes(`section_end:`) && x.includes(`:${name}`)),
});

interface Sample {
  toStart: number;
  toImage: number;
  prepare: number;
  clone: number;
  preBuild: number;
  login: number;
  compile: number;
  push: number;
}

function split(trace: string, pushedAt: number, job: Job): Sample {
  const ls = lines(trace);
  const prepare = section(ls, 'prepare_executor');
  const clone = section(ls, 'get_sources');
  // pre_build_script's first line, as the shell echoes it (config-toml.ts, TRUST_LAB_CA).
  const trustCa = at(ls, (x) => x.includes('$ # lab: trust the lab CA'));
  const login = at(ls, (x) => x.includes('$ echo "$CI_REGISTRY_PASSWORD" | docker login'));
  const info = at(ls, (x) => x.includes('$ docker info'));
  const compile = at(ls, (x) => /Step \d+\/\d+ : RUN CGO_ENABLED=0 go build/.test(x));
  const pushCmd = at(ls, (x) => x.includes('$ docker push'));
  const digest = at(ls, (x) => / digest: sha256:[0-9a-f]{64}/.test(x));
  return {
    toStart: Date.parse(job.started_at ?? '') - pushedAt,
    toImage: digest - pushedAt,
    prepare: prepare.end - prepare.start,
    clone: clone.end - clone.start,
    preBuild: login - trustCa,
    login: info - login,
    compile: at(ls, (x) => /Step \d+\/\d+ : /.test(x), compile + 1) - compile,
    push: digest - pushCmd,
  };
}

/** POST /networks/create and DELETE, as the runner does per job, on this machine's engine. */
async function networkCost(): Promise<number> {
  const engine = new Docker();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const net = await engine.createNetwork({ Name: `bench-pipeline-${process.pid}-${i}`, Labels: runLabels() });
    await net.remove();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** lab.yml with `runner:` replaced by these lines. */
async function setRunner(p: PipelineLab, runner: string[]): Promise<void> {
  const file = join(p.lab.dir, 'lab.yml');
  const text = (await readFile(file, 'utf8')).replace(/^runner:\n(?: {2}.*\n)*/m, '');
  await writeFile(file, `${text}runner:\n${runner.join('\n')}\n`);
  const up = await p.lab.lab(['up', '--pull', 'never', '--timeout', '300s']);
  if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.all}`);
  // The runner re-reads config.toml every 3 s.
  await new Promise((r) => setTimeout(r, 4000));
}

const made: string[] = [];
const makeDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

const missing = [...(await missingFixtures()), ...(await missingJobImages())];
if (missing.length > 0) {
  console.log(`skipped: images missing (${missing.join(', ')}); run scripts/fixtures.sh`);
  process.exit(0);
}
if (process.getuid?.() !== 0) {
  console.log('skipped: needs root (edits /etc/hosts and /etc/docker/certs.d, restored afterwards)');
  process.exit(0);
}

const host = await HostWiring.snapshot();
let p: PipelineLab | undefined;
let builder: Builder | undefined;
try {
  const gateway = await hostGateway();
  const port = await freePort();
  let certs = { dir: '', dockerd: [] as string[] };
  p = await PipelineLab.open(makeDir, {
    prefix: 'bp',
    beforeUp: async (lab) => {
      certs = await mintBuilderCerts(lab);
    },
  });
  const lab = p.lab;
  await host.addHost(gateway, `builder.${lab.domain}`);
  await host.mapToProxy(lab);
  const trust = await lab.lab(['trust', '--docker']);
  if (trust.exitCode !== 0) throw new Error(`lab trust --docker failed:\n${trust.all}`);
  await p.login();
  const network = await networkCost();
  console.log(`per-build network (create + remove on the engine): ${fmt(network)}`);
  for (const strategy of STRATEGIES) {
    const project: Project = await p.project(`go-${strategy}`);
    if (strategy === 'dind') {
      const mirror = `${p.registry}/${project.path}/golang:1.24-bookworm`;
      await execa('docker', ['tag', 'golang:1.24-bookworm', mirror]);
      await execa('docker', ['push', mirror]);
      await execa('docker', ['rmi', mirror]);
      await p.variable(project, 'BUILD_WITH_DIND', 'true');
      await p.variable(project, 'GO_IMAGE', mirror);
    }
    await setRunner(p, strategy === 'remote' ? remoteRunnerLines(lab, gateway, port) : [`  docker: ${strategy}`]);
    if (strategy === 'remote' && !builder) {
      builder = await startBuilder(lab, certs, { gateway, port, images: ['golang:1.24-bookworm'] });
      const t = await lab.lab(['trust', '--docker']);
      if (t.exitCode !== 0) throw new Error(`lab trust --docker (builder) failed:\n${t.all}`);
    }
    const samples: Sample[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const branch = `run-${i}`;
      const dir = await makeDir('bench-pipeline-git-');
      const t0 = Date.now();
      const { [branch]: sha = '' } = await p.push(project, dir, { [branch]: { 'greeting.txt': `bench ${strategy} run ${i} ${t0}\n` } });
      const { pipeline, jobs } = await p.finished(project, await p.pipeline(project, branch, sha));
      const job = jobs[0] as Job;
      const trace = await p.trace(project, job);
      if (strategy === 'socket') p.builtHere(trace);
      if (pipeline.status !== 'success') throw new Error(`${strategy} run ${i}: pipeline ${pipeline.status}\n${trace}`);
      samples.push(split(trace, t0, job));
    }
    const m = (k: keyof Sample) => median(samples.map((s) => s[k]));
    const share = m('clone') + m('preBuild') + network;
    const row = (label: string, ms: number, note = '') =>
      console.log(`  ${label.padEnd(30)}${fmt(ms).padStart(8)}${note ? `  ${note}` : ''}`);
    console.log(`\n${strategy} (medians of ${samples.length} run(s))`);
    row('push → job start', m('toStart'));
    row('push → image in the registry', m('toImage'));
    row('job: prepare the executor', m('prepare'), 'images, services, the per-build network');
    row('     clone through the proxy', m('clone'), "lab's wiring");
    row('     pre_build_script', m('preBuild'), "lab's wiring: the lab CA into the image's bundle");
    row('     docker login', m('login'));
    row('     go build (the RUN step)', m('compile'));
    row('     docker push', m('push'));
    row("lab's share", share, `${((100 * share) / m('toImage')).toFixed(1)} % of push → image (clone + pre_build_script + network)`);
  }
  console.log(`\nload average ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}`);
} finally {
  await builder?.stop();
  await p?.close();
  await host.restore(p?.registry);
  for (const dir of made) await rm(dir, { recursive: true, force: true });
}
