import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCerts } from '../../src/certs/index.js';
import { buildModel, type LabModel, proxiedHosts } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import { type LabRoute, labHttpsClient } from '../../src/net/https.js';
import { httpStatus, tlsEntryPoint } from '../../src/net/probes.js';
import { type WaitStrategy, waitFor } from '../../src/util/wait.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * A stand-in for the proxy: an HTTPS server on 127.0.0.1 with the lab's leaf certificate.
 * The client reaches it by lab host name only, through the custom lookup, trusting only
 * the lab CA: exactly how `lab up` reaches GitLab on any engine.
 */
let model: LabModel;
let otherCa: Buffer;
let server: Server;
let route: LabRoute;
let readyAt = Number.POSITIVE_INFINITY;
const seen: { host: string | undefined; servername: string | undefined }[] = [];

beforeAll(async () => {
  model = buildModel(parseConfig('name: rt\n'), { dir: await tempDir('lab-rt-') });
  await ensureCerts(model);
  const other = buildModel(parseConfig('name: other\n'), { dir: await tempDir('lab-rt-other-') });
  await ensureCerts(other);
  otherCa = await readFile(other.paths.caCert);
  server = createServer({ cert: await readFile(model.paths.leafCert), key: await readFile(model.paths.leafKey) }, (req, res) => {
    seen.push({ host: req.headers.host, servername: (req.socket as unknown as { servername?: string }).servername });
    res.statusCode = req.url === '/-/readiness' && Date.now() >= readyAt ? 200 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  route = {
    publishedHost: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    hosts: proxiedHosts(model.hosts),
    ca: await readFile(model.paths.tlsCa),
  };
}, 120_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the lab HTTPS route', () => {
  it('reaches a lab host by name through the custom lookup, with SNI and Host set', async () => {
    readyAt = 0;
    const res = await labHttpsClient(route).request({ host: 'gitlab.test', path: '/-/readiness' });
    expect(res.status).toBe(200);
    expect(seen.at(-1)).toEqual({ host: `gitlab.test:${route.port}`, servername: 'gitlab.test' });
  });

  it('trusts only the lab CA', async () => {
    const err = await labHttpsClient({ ...route, ca: otherCa })
      .request({ host: 'gitlab.test', path: '/-/readiness' })
      .catch((e: unknown) => e as NodeJS.ErrnoException);
    expect((err as NodeJS.ErrnoException).code).toMatch(/UNABLE_TO_VERIFY|SELF_SIGNED|CERT/);
  });

  it('reports a TLS entry point as ready only with a certificate from the lab CA', async () => {
    expect(await tlsEntryPoint(route, 'traefik.test').check(new AbortController().signal)).toEqual({ ready: true });
    const other = await tlsEntryPoint({ ...route, ca: otherCa }, 'traefik.test').check(new AbortController().signal);
    expect(other.ready).toBe(false);
    expect(other.detail).toContain('not trusted by the lab CA');
  });
});

describe('waitFor', () => {
  it('notices readiness within a second of it happening (polling at 250 ms)', async () => {
    readyAt = Date.now() + 1200;
    const outcome = await waitFor(httpStatus(labHttpsClient(route), 'gitlab.test', '/-/readiness'), { timeoutMs: 10_000 });
    const lag = Date.now() - readyAt;
    expect(outcome.ready).toBe(true);
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(1000);
  });

  it('times out with the last reason', async () => {
    readyAt = Number.POSITIVE_INFINITY;
    const started = Date.now();
    const outcome = await waitFor(httpStatus(labHttpsClient(route), 'gitlab.test', '/-/readiness'), { timeoutMs: 800 });
    expect(outcome).toMatchObject({ ready: false, reason: 'timeout', detail: 'HTTP 503' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('gives up at once when told the container is gone, and stops when aborted', async () => {
    const never: WaitStrategy = { description: 'never', check: async () => ({ ready: false, detail: 'no' }) };
    const gaveUp = await waitFor(never, { timeoutMs: 60_000, intervalMs: 10, gaveUp: async () => 'the container exited (exit code 3)' });
    expect(gaveUp).toMatchObject({ ready: false, reason: 'gave-up', detail: 'the container exited (exit code 3)' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await waitFor(never, { timeoutMs: 60_000, intervalMs: 50, signal: controller.signal });
    expect(aborted).toMatchObject({ ready: false, reason: 'aborted' });
  });
});
