import { execa } from 'execa';
import { randomBytes, randomInt } from 'node:crypto';
import { createServer } from 'node:net';

let available: Promise<boolean> | undefined;

/** Whether a Docker engine answers; memoised per test file. */
export function dockerAvailable(): Promise<boolean> {
  available ??= execa('docker', ['version', '--format', '{{.Server.Version}}'], { reject: false, timeout: 10_000 }).then((r) => r.exitCode === 0);
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

export async function docker(args: string[], options: { reject?: boolean; input?: string } = {}) {
  return execa('docker', args, { reject: options.reject ?? true, ...(options.input === undefined ? {} : { input: options.input }) });
}
