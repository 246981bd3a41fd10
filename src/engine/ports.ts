import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import type Dockerode from 'dockerode';
import { LabError } from '../util/errors.js';
import type { EngineEndpoint } from './endpoint.js';
import { COMPOSE_LABELS, LAB_LABELS, type StackIdentity } from './labels.js';
import { nameOf } from './observe.js';

/** Who holds a host port, as far as lab can tell. */
export interface PortHolder {
  port: number;
  /** e.g. `container web-1 (stack "other")`, `process nginx (pid 812)`, or `another program`. */
  holder: string;
}

/** Binds the port for a moment: EADDRINUSE means someone has it. Other errors (EACCES for <1024) mean "cannot tell". */
export function portInUse(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Containers (of any stack) that publish the port, excluding `ignore` IDs. */
async function containerHolders(docker: Dockerode, ports: number[], ignore: Set<string>): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  const running = await docker.listContainers({ filters: { status: ['running', 'restarting'] } });
  for (const c of running) {
    if (ignore.has(c.Id)) continue;
    for (const p of c.Ports ?? []) {
      if (!ports.includes(p.PublicPort) || found.has(p.PublicPort)) continue;
      const stack = c.Labels?.[LAB_LABELS.stack] ?? c.Labels?.[COMPOSE_LABELS.project];
      found.set(p.PublicPort, `container ${nameOf(c)}${stack ? ` (stack "${stack}")` : ''}`);
    }
  }
  return found;
}

/** Linux only: the process listening on the port, from /proc/net/tcp{,6} and /proc/<pid>/fd. */
export async function processOnPort(port: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (!local || cols[3] !== '0A') continue; // 0A = LISTEN
      if (Number.parseInt(local.split(':').pop() ?? '', 16) === port && cols[9] && cols[9] !== '0') inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return undefined;
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m?.[1] && inodes.has(m[1])) {
        const comm = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '?')).trim();
        return `process ${comm} (pid ${pid})`;
      }
    }
  }
  return undefined;
}

/**
 * Finds who holds any of the ports. Containers are found on every engine; for a local
 * engine, a test bind on this machine finds other programs too.
 */
export async function findPortHolders(
  docker: Dockerode,
  endpoint: EngineEndpoint,
  ports: number[],
  ignoreContainers: Set<string> = new Set(),
): Promise<PortHolder[]> {
  if (ports.length === 0) return [];
  const byContainer = await containerHolders(docker, ports, ignoreContainers);
  const holders: PortHolder[] = [];
  for (const port of ports) {
    const container = byContainer.get(port);
    if (container) {
      holders.push({ port, holder: container });
      continue;
    }
    if (endpoint.local && (await portInUse(port))) {
      holders.push({ port, holder: (await processOnPort(port)) ?? 'another program' });
    }
  }
  return holders;
}

/** The configuration key of a published port, for the hint. */
export function portKey(stack: Pick<StackIdentity, 'portKeys'>, port: number): string {
  return stack.portKeys.get(port) ?? 'ports';
}

export function portTakenError(stack: Pick<StackIdentity, 'portKeys'>, holders: PortHolder[], cause?: unknown): LabError {
  const parts = holders.map((h) => `port ${h.port} (${portKey(stack, h.port)}) is already taken by ${h.holder}`);
  const first = holders[0];
  const example = first
    ? `${portKey(stack, first.port).replace('ports.', '')}: ${first.port === 80 ? 8080 : first.port === 443 ? 8443 : first.port + 1000}`
    : 'https: 8443';
  return new LabError(parts.join('; '), {
    hint: `Stop whatever holds it, or pick another port in lab.yml, e.g. \`ports: { ${example} }\`, then run \`lab up\` again.`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Recognises the engine's "port is taken" errors at container start and returns the port. */
export function boundPortFromError(message: string): number | undefined {
  if (!/port is already allocated|address already in use|bind: /i.test(message)) return undefined;
  const m = /(?:0\.0\.0\.0|\[::\]|::|[\d.]+):(\d+)(?: failed|: bind|\b)/.exec(message);
  return m?.[1] ? Number(m[1]) : undefined;
}
