import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GitLabApiError, gitlabClient } from '../../../src/gitlab/client/index.js';
import { labHttpsClient } from '../../../src/net/https.js';
import { LabError } from '../../../src/util/errors.js';
import { mintCerts } from '../../helpers/pki.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The client against an HTTPS peer that answers like GitLab (status codes, headers, bodies
 * as docs.gitlab.com/api/rest documents them), scripted per test: what the client sends,
 * how often it tries, and what it makes of each answer.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let server: Server;
let port: number;
let ca: Buffer;
let script: Handler[] = [];
let seen: { method: string; url: string; token: string | undefined; body: string }[] = [];

beforeAll(async () => {
  const dir = await tempDir();
  const pki = await mintCerts(
    { caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca-key.pem'), leafCert: join(dir, 'lab.pem'), leafKey: join(dir, 'lab-key.pem') },
    ['gitlab.test'],
    'transport test CA',
  );
  ca = await readFile(pki.caCert);
  server = createServer({ cert: await readFile(pki.leafCert), key: await readFile(pki.leafKey) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', token: req.headers['private-token'] as string | undefined, body });
      const next = script.shift();
      if (next) next(req, res, body);
      else {
        res.writeHead(500);
        res.end('{"message":"500 unexpected request"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  script = [];
  seen = [];
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

const client = () =>
  gitlabClient(labHttpsClient({ publishedHost: '127.0.0.1', port, hosts: ['gitlab.test'], ca }), {
    host: 'gitlab.test',
    token: 'glpat-secret-token-123456',
    timeoutMs: 3000,
  });

const runner = { id: 7, description: 'lab:x', runner_type: 'instance_type', status: 'online', contacted_at: '2026-12-01T10:00:00.000Z' };

describe('the GitLab transport', () => {
  it('sends the token in PRIVATE-TOKEN only, never in the URL', async () => {
    script = [json(200, runner)];
    await client().runners.get(7);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v4/runners/7', token: 'glpat-secret-token-123456' });
    expect(seen[0]?.url).not.toContain('glpat');
  });

  it('retries a read after 502/503 and after 429, honouring Retry-After', async () => {
    script = [json(503, { message: '503' }), json(429, { message: 'Retry later' }, { 'retry-after': '1' }), json(200, runner)];
    const started = Date.now();
    expect(await client().runners.get(7)).toMatchObject({ id: 7 });
    expect(seen).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('retries a create only when GitLab says it did not process it (429), never after a 502', async () => {
    script = [json(429, { message: 'Retry later' }), json(201, { id: 9, token: 'glrt-abc' })];
    expect(await client().runners.createInstance({ description: 'lab:x', tagList: [], runUntagged: true })).toEqual({
      id: 9,
      token: 'glrt-abc',
    });
    expect(seen.map((s) => s.method)).toEqual(['POST', 'POST']);

    seen = [];
    script = [json(502, { message: 'Bad Gateway' })];
    const err = await client()
      .runners.createInstance({ description: 'lab:x', tagList: [], runUntagged: true })
      .catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(err).toBeInstanceOf(GitLabApiError);
  });

  it('turns an unexpected answer into a LabError with GitLab words and a hint', async () => {
    script = [json(403, { message: '403 Forbidden' })];
    const err = await client()
      .groups.create({ name: 'Modules', path: 'modules' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err).toMatchObject({ status: 403, exitCode: 1, message: 'POST /api/v4/groups answered 403: 403 Forbidden' });
    expect((err as LabError).hint).toMatch(/scope or permission/);
  });

  it('follows every page of a list', async () => {
    const page = (ids: number[], next: string): Handler =>
      json(
        200,
        ids.map((id) => ({ ...runner, id })),
        { 'x-next-page': next },
      );
    script = [page([1, 2], '2'), page([3, 4], '3'), page([5], '')];
    expect((await client().runners.instance()).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect(seen.map((s) => new URL(s.url, 'https://x').searchParams.get('page'))).toEqual(['1', '2', '3']);
    expect(new URL(seen[0]?.url ?? '', 'https://x').searchParams.get('per_page')).toBe('100');
  });

  it('refuses an answer without the documented shape', async () => {
    script = [json(200, { id: 'seven' })];
    await expect(client().runners.get(7)).rejects.toThrow('the answer does not have the documented shape');
  });

  it('reads GitLab’s own clock with a runner’s last contact', async () => {
    script = [json(200, runner, { date: 'Tue, 01 Dec 2026 10:00:30 GMT' })];
    expect(await client().runners.contact(7)).toEqual({ contactedAt: runner.contacted_at, serverNow: Date.parse('2026-12-01T10:00:30Z') });
  });

  it('fails with status 0 and a hint when nothing answers', async () => {
    const dead = gitlabClient(labHttpsClient({ publishedHost: '127.0.0.1', port: 1, hosts: ['gitlab.test'], ca }), {
      host: 'gitlab.test',
      timeoutMs: 500,
    });
    const err = await dead.transport.json('GET', '/version', v.unknown()).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 0, message: 'GET /api/v4/version failed: ECONNREFUSED' });
    expect((err as LabError).hint).toMatch(/did not answer/);
  });
});
