import { randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { execa } from 'execa';
import { runLabelArgs } from './run-label.js';

let available: Promise<boolean> | undefined;

/** Whether a Docker engine answers; memoised per test file. */
export function dockerAvailable(): Promise<boolean> {
  available ??= execa('docker', ['version', '--format', '{{.Server.Version}}'], { reject: false, timeout: 10_000 }).then(
    (r) => r.exitCode === 0,
  );
  return available;
}

/**
 * Integration tests skip without an engine, unless LAB_REQUIRE_DOCKER=1 (as in CI),
 * where a missing engine must fail loudly instead of passing by skipping.
 */
export async function requireDocker(): Promise<boolean> {
  if (await dockerAvailable()) return true;
  if (process.env.LAB_REQUIRE_DOCKER === '1') throw new Error('LAB_REQUIRE_DOCKER=1 but no Docker engine is reachable');
  return false;
}

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestStack {
  name: string;
  subnet: string;
  proxyIp: string;
  ports: { http: number; https: number; ssh: number };
}

/** A unique stack name, subnet and free ports, so tests can run side by side. */
export async function uniqueStack(prefix = 't'): Promise<TestStack> {
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  const b = randomInt(200, 250);
  const c = randomInt(0, 256);
  const ports = { http: await freePort(), https: await freePort(), ssh: await freePort() };
  return { name, subnet: `10.${b}.${c}.0/24`, proxyIp: `10.${b}.${c}.254`, ports };
}

/** Subcommands that create something: the run label goes right after them, so the reaper finds it. */
const CREATING = [
  ['run'],
  ['create'],
  ['build'],
  ['container', 'run'],
  ['container', 'create'],
  ['network', 'create'],
  ['volume', 'create'],
  ['image', 'build'],
];

/** Labels what `args` creates with this run's label (see run-label.ts). */
export function withRunLabel(args: string[]): string[] {
  const match = CREATING.filter((cmd) => cmd.every((word, i) => args[i] === word)).sort((a, b) => b.length - a.length)[0];
  return match ? [...args.slice(0, match.length), ...runLabelArgs(), ...args.slice(match.length)] : args;
}

/** The docker CLI, as a user runs it; whatever it creates carries the run label. */
export async function docker(args: string[], options: { reject?: boolean; input?: string } = {}) {
  return execa('docker', withRunLabel(args), {
    reject: options.reject ?? true,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

export async function exists(kind: 'container' | 'network' | 'volume', name: string): Promise<boolean> {
  return (await docker([kind, 'inspect', name], { reject: false })).exitCode === 0;
}

export interface ContainerFacts {
  id: string;
  startedAt: string;
  running: boolean;
  labels: Record<string, string>;
  extraHosts: string[];
}

/** What `docker container inspect` says about a container; undefined when there is none. */
export async function inspectContainer(name: string): Promise<ContainerFacts | undefined> {
  const r = await docker(['container', 'inspect', name], { reject: false });
  if (r.exitCode !== 0) return undefined;
  const [info] = JSON.parse(r.stdout) as {
    Id: string;
    State: { StartedAt: string; Running: boolean };
    Config: { Labels: Record<string, string> | null };
    HostConfig: { ExtraHosts: string[] | null };
  }[];
  if (!info) return undefined;
  return {
    id: info.Id,
    startedAt: info.State.StartedAt,
    running: info.State.Running,
    labels: info.Config.Labels ?? {},
    extraHosts: info.HostConfig.ExtraHosts ?? [],
  };
}

/** Removes everything carrying the stack's label, whatever state a failed test left behind. */
export async function purgeStack(name: string): Promise<void> {
  const list = async (args: string[]) =>
    (await docker([...args, '--filter', `label=dev.lab.stack=${name}`], { reject: false })).stdout.split('\n').filter(Boolean);
  const ids = await list(['ps', '-aq']);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids], { reject: false });
  const nets = await list(['network', 'ls', '-q']);
  if (nets.length > 0) await docker(['network', 'rm', ...nets], { reject: false });
  const vols = await list(['volume', 'ls', '-q']);
  if (vols.length > 0) await docker(['volume', 'rm', '-f', ...vols], { reject: false });
}
