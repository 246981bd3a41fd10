import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';

/**
 * A stand-in for a container engine's API on a unix socket, answering the few read-only
 * endpoints `lab doctor` asks (/_ping, /version, /info, /containers/json) with bodies
 * shaped like the real ones. It lets tests show how doctor tells Docker Engine, Docker
 * Desktop and Podman apart, and how it judges memory, without owning such machines.
 * `hang: true` accepts connections and never answers: an engine that is wedged.
 */
export interface FakeEngineOptions {
  version?: Record<string, unknown>;
  info?: Record<string, unknown>;
  containers?: unknown[];
  hang?: boolean;
}

export interface FakeEngine {
  /** For DOCKER_HOST. */
  host: string;
  /** Paths asked for, in order (to show doctor did not act: only GETs). */
  requests: string[];
  close(): Promise<void>;
}

/** /version of a Debian docker.io 20.10 daemon (the shape of API 1.41). */
export const DOCKER_ENGINE_VERSION = {
  Platform: { Name: '' },
  Components: [{ Name: 'Engine', Version: '20.10.24+dfsg1', Details: { ApiVersion: '1.41' } }],
  Version: '20.10.24+dfsg1',
  ApiVersion: '1.41',
  MinAPIVersion: '1.12',
  Os: 'linux',
  Arch: 'amd64',
};

/** /version as Podman's Docker-compatible service answers it. */
export const PODMAN_VERSION = {
  Platform: { Name: 'linux/amd64/fedora-40' },
  Components: [
    { Name: 'Podman Engine', Version: '5.2.1', Details: { APIVersion: '5.2.1' } },
    { Name: 'Conmon', Version: 'conmon version 2.1.12' },
  ],
  Version: '5.2.1',
  ApiVersion: '1.41',
  MinAPIVersion: '1.24',
  Os: 'linux',
  Arch: 'amd64',
};

/** /version of Docker Desktop's engine. */
export const DESKTOP_VERSION = {
  Platform: { Name: 'Docker Desktop 4.34.0 (165256)' },
  Components: [{ Name: 'Engine', Version: '27.2.0', Details: { ApiVersion: '1.47' } }],
  Version: '27.2.0',
  ApiVersion: '1.47',
  MinAPIVersion: '1.24',
  Os: 'linux',
  Arch: 'arm64',
};

export const GIB = 1024 ** 3;

export function info(os: string, memTotal: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    OperatingSystem: os,
    MemTotal: memTotal,
    NCPU: 4,
    ServerVersion: 'x',
    SecurityOptions: ['name=seccomp,profile=default'],
    ...extra,
  };
}

/**
 * The engine's `label` filter (`key=value` or `key`, all must match), as lab uses it to
 * find its own containers; other filters are ignored.
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/ContainerList
 */
function filterContainers(containers: unknown[], filters: string | null): unknown[] {
  if (!filters) return containers;
  const parsed = JSON.parse(filters) as Record<string, string[] | Record<string, boolean>>;
  const raw = parsed.label ?? [];
  const wanted = Array.isArray(raw) ? raw : Object.keys(raw);
  return containers.filter((c) => {
    const labels = (c as { Labels?: Record<string, string> }).Labels ?? {};
    return wanted.every((w) => {
      const [key = '', value] = w.split('=', 2);
      return value === undefined ? key in labels : labels[key] === value;
    });
  });
}

export async function startFakeEngine(dir: string, options: FakeEngineOptions): Promise<FakeEngine> {
  const path = join(dir, `engine-${Math.random().toString(16).slice(2)}.sock`);
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'api-version': '1.41' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    requests.push(`${req.method ?? 'GET'} ${path}`);
    if (options.hang) return; // never answer
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { message: 'the fake engine is read-only' });
    if (path === '/_ping') return send(res, 200, 'OK');
    if (path === '/version') return send(res, 200, options.version ?? DOCKER_ENGINE_VERSION);
    if (path === '/info') return send(res, 200, options.info ?? info('Debian GNU/Linux 12 (bookworm)', 16 * GIB));
    if (path === '/containers/json') return send(res, 200, filterContainers(options.containers ?? [], url.searchParams.get('filters')));
    return send(res, 404, { message: `page not found: ${path}` });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    host: `unix://${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
