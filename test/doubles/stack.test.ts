// The fixtures themselves, wired by hand with the docker CLI (no lab engine): a Traefik
// fixture with a static IP, a GitLab fixture behind it, runner fixtures polling through
// it, and a client container that runs the probe. Every resource has a unique name and
// is removed in afterAll.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, requireDocker, type TestStack, uniqueStack } from '../helpers/docker.js';
import { tempDir } from '../helpers/tmp.js';
import { ipOf, logsOf, makeCerts, probe, Resources, waitFor } from './harness.js';
import { dynamicYaml, omnibus, patSnippet, runnerToml, staticYaml } from './stack-config.js';

const hasDocker = await requireDocker();
const res = new Resources();

let stack: TestStack;
let dir: string;
let net: string;
let d: string; // the lab domain
let client: string;
let gitlab: string;
let traefik: string;
const ADMIN_TOKEN = `adm-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

const api = (path: string, opts: { token?: string; method?: string; body?: unknown } = {}) =>
  probe(client, `https://gitlab.${d}/api/v4${path}`, {
    ...(opts.method ? { method: opts.method } : {}),
    ...(opts.token ? { headers: { 'PRIVATE-TOKEN': opts.token } } : {}),
    ...(opts.body !== undefined ? { data: JSON.stringify(opts.body) } : {}),
  });
const json = <T>(r: { body?: string }): T => JSON.parse(r.body ?? 'null') as T;

async function rails(container: string, ruby: string) {
  return docker(['exec', container, 'gitlab-rails', 'runner', ruby], { reject: false });
}

beforeAll(async () => {
  if (!hasDocker) return;
  stack = await uniqueStack('fx');
  dir = await tempDir('lab-fixtures-');
  net = `${stack.name}-net`;
  d = `${stack.name}.test`;
  const tls = join(dir, 'tls');
  const wrong = join(dir, 'wrong');
  const conf = join(dir, 'traefik');
  await Promise.all([mkdir(tls), mkdir(wrong), mkdir(join(conf, 'dynamic'), { recursive: true })]);
  await makeCerts(tls, `Fixture CA ${stack.name}`, [`gitlab.${d}`, `registry.${d}`, `traefik.${d}`, `*.${d}`]);
  await makeCerts(wrong, 'Some Other CA', ['elsewhere.invalid']);
  await writeFile(join(conf, 'traefik.yml'), staticYaml);
  await writeFile(join(conf, 'dynamic', 'lab.yml'), dynamicYaml(d));

  res.networks.push(net);
  await docker(['network', 'create', '--subnet', stack.subnet, net]);
  res.volumes.push(`${stack.name}-gitlab-data`);
  const hosts = ['gitlab', 'registry', 'traefik', 'dash-x', 'dead', 'nope', 'echo', 'extra'].flatMap((h) => [
    '--add-host',
    `${h}.${d}:${stack.proxyIp}`,
  ]);

  gitlab = `${stack.name}-gitlab-1`;
  await res.run(gitlab, [
    '--network',
    net,
    '--network-alias',
    'gitlab',
    '-v',
    `${stack.name}-gitlab-data:/var/opt/gitlab`,
    ...hosts,
    '-e',
    `GITLAB_OMNIBUS_CONFIG=${omnibus(d, stack.subnet)}`,
    '-e',
    'GITLAB_ROOT_PASSWORD=Vq7-mZ2x-Lp9w-Rt4k',
    '-e',
    'FIXTURE_READY_AFTER_MS=1500',
    'lab-fixture/gitlab',
  ]);
  traefik = `${stack.name}-traefik-1`;
  await res.run(traefik, [
    '--network',
    net,
    '--ip',
    stack.proxyIp,
    '--network-alias',
    'traefik',
    '-v',
    `${conf}:/etc/traefik:ro`,
    '-v',
    `${tls}:/etc/lab/tls:ro`,
    ...hosts,
    'lab-fixture/traefik',
  ]);
  // An upstream that echoes what reached it (JSON), or streams a large body back.
  await res.run(`${stack.name}-echo-1`, [
    '--network',
    net,
    '--network-alias',
    'echo',
    '--entrypoint',
    '/usr/local/bin/node',
    'lab-fixture/node',
    '-e',
    `require('http').createServer((q, r) => { if (q.url === '/upload') { q.on('data', (c) => r.write(c)); q.on('end', () => r.end()); return; } q.resume(); q.on('end', () => r.end(JSON.stringify({ url: q.url, headers: q.headers }))); }).listen(8000)`,
  ]);
  client = `${stack.name}-client-1`;
  await res.run(client, [
    '--network',
    net,
    ...hosts,
    '-v',
    `${tls}/ca.pem:/certs/ca.pem:ro`,
    '-v',
    `${wrong}/ca.pem:/certs/wrong-ca.pem:ro`,
    '--entrypoint',
    '/usr/local/bin/node',
    'lab-fixture/node',
    '-e',
    'setInterval(() => {}, 1e9)',
  ]);
  await waitFor(
    'GitLab readiness through the proxy',
    async () => ((await probe(client, `https://gitlab.${d}/-/readiness`)).status === 200 ? true : undefined),
    60_000,
  );
  const seeded = await rails(gitlab, patSnippet('root', ADMIN_TOKEN));
  if (seeded.exitCode !== 0) throw new Error(`PAT snippet failed: ${seeded.stderr}`);
});

afterAll(async () => {
  if (hasDocker) await res.cleanup();
});

describe.skipIf(!hasDocker)('traefik fixture', () => {
  it('serves GitLab readiness through the proxy with a certificate that verifies against the CA', async () => {
    const r = await probe(client, `https://gitlab.${d}/-/readiness`);
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body ?? '{}')).toMatchObject({ status: 'ok' });
    expect(r.tls?.authorized).toBe(true);
    expect(r.tls?.peerCertificate?.issuer.CN).toBe(`Fixture CA ${stack.name}`);
    expect(r.tls?.peerCertificate?.subjectaltname).toContain(`DNS:gitlab.${d}`);
  });

  it('rejects the same handshake when only another CA is trusted', async () => {
    const r = await docker(
      ['exec', client, '/usr/local/bin/node', '/fixture/probe.mjs', `https://gitlab.${d}/`, '--ca', '/certs/wrong-ca.pem'],
      { reject: false },
    );
    const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string } };
    expect(out.ok).toBe(false);
    expect(out.error.code).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
  });

  it('redirects HTTP to HTTPS as Traefik does (301 for GET, 308 otherwise)', async () => {
    const get = await probe(client, `http://gitlab.${d}/users/sign_in?x=1`);
    expect(get.status).toBe(301);
    expect(get.headers?.location).toBe(`https://gitlab.${d}/users/sign_in?x=1`);
    const post = await probe(client, `http://gitlab.${d}/api/v4/user`, { method: 'POST' });
    expect(post.status).toBe(308);
  });

  it('answers 404 without a matching router and 502 for an unreachable upstream', async () => {
    expect((await probe(client, `https://nope.${d}/`)).status).toBe(404);
    expect((await probe(client, `https://dead.${d}/`)).status).toBe(502);
  });

  it('serves the dashboard and API of api@internal on Host and HostRegexp routers', async () => {
    const r = await probe(client, `https://dash-x.${d}/api/http/routers`);
    expect(r.status).toBe(200);
    const routers = JSON.parse(r.body ?? '[]') as { name: string; status: string }[];
    expect(routers.map((x) => x.name).sort()).toEqual(['dashboard@file', 'dead@file', 'echo@file', 'gitlab@file', 'registry@file']);
    const overview = await probe(client, `https://traefik.${d}/api/overview`);
    expect(JSON.parse(overview.body ?? '{}')).toMatchObject({ http: { routers: { total: 5 } } });
    expect((await probe(client, `https://traefik.${d}/dashboard/`)).status).toBe(200);
  });

  it('forwards the Host and X-Forwarded-* headers as Traefik sets them, and streams large chunked bodies', async () => {
    const clientIp = await ipOf(client, net);
    const r = await probe(client, `https://echo.${d}/some/path?q=1`, {
      headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'gopher' },
    });
    const seen = JSON.parse(r.body ?? '{}') as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/some/path?q=1');
    expect(seen.headers).toMatchObject({
      host: `echo.${d}`,
      'x-forwarded-for': clientIp,
      'x-forwarded-proto': 'https',
      'x-forwarded-host': `echo.${d}`,
      'x-forwarded-port': '443',
      'x-real-ip': clientIp,
    });
    // 24 MiB up in chunks (no Content-Length), 24 MiB back.
    const upload = await docker([
      'exec',
      client,
      '/usr/local/bin/node',
      '-e',
      `
      const https = require('https'); const fs = require('fs');
      const req = https.request({ host: '${stack.proxyIp}', port: 443, servername: 'echo.${d}', headers: { host: 'echo.${d}' }, method: 'POST', path: '/upload', ca: fs.readFileSync('/certs/ca.pem') }, (res) => {
        let n = 0; res.on('data', (c) => (n += c.length)); res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, te: res.headers['transfer-encoding'] ?? null, n })));
      });
      const chunk = Buffer.alloc(1 << 20, 97); let i = 0;
      (function write() { while (i < 24) { i++; if (!req.write(chunk)) return req.once('drain', write); } req.end(); })();`,
    ]);
    expect(JSON.parse(upload.stdout)).toEqual({ status: 200, te: 'chunked', n: 24 << 20 });
  });

  it('answers ping and `traefik healthcheck --ping`', async () => {
    const hc = await docker(['exec', traefik, 'traefik', 'healthcheck', '--ping'], { reject: false });
    expect(hc.exitCode).toBe(0);
    expect(hc.stdout).toContain('OK');
    const ping = await probe(client, `http://traefik:8082/ping`);
    expect(ping.status).toBe(200);
    expect(ping.body).toBe('OK');
  });

  it('honours tls.options.default.minVersion', async () => {
    const r = await docker(
      [
        'exec',
        client,
        '/usr/local/bin/node',
        '-e',
        `const s=require('tls').connect({host:'${stack.proxyIp}',port:443,servername:'gitlab.${d}',maxVersion:'TLSv1.1',minVersion:'TLSv1',rejectUnauthorized:false},()=>{console.log('connected '+s.getProtocol());process.exit(0)});s.on('error',e=>{console.log('error '+e.code);process.exit(0)})`,
      ],
      { reject: false },
    );
    expect(r.stdout).toMatch(/^error /);
  });

  it('reloads the watched directory, and keeps the last good config when a file is bad', async () => {
    const conf = join(dir, 'traefik', 'dynamic');
    await writeFile(join(conf, 'extra.yml'), `http:\n  routers:\n    extra: {rule: "Host(\`extra.${d}\`)", service: gitlab, tls: {}}\n`);
    await waitFor(
      'the new router',
      async () => ((await probe(client, `https://traefik.${d}/api/http/routers/extra@file`)).status === 200 ? true : undefined),
      15_000,
    );
    expect((await probe(client, `https://extra.${d}/-/readiness`)).status).toBe(200);
    await writeFile(join(conf, 'bad.yml'), 'http:\n  middlewares:\n    strip: {stripPrefix: {prefixes: [/x]}}\n');
    await waitFor(
      'the error for the bad key',
      async () => ((await logsOf(traefik)).includes('http.middlewares') ? true : undefined),
      15_000,
    );
    // The last good configuration still routes.
    expect((await probe(client, `https://traefik.${d}/api/http/routers/extra@file`)).status).toBe(200);
    expect((await probe(client, `https://gitlab.${d}/-/readiness`)).status).toBe(200);
    await rm(join(conf, 'bad.yml'));
    await rm(join(conf, 'extra.yml'));
    await waitFor(
      'the extra router to go away',
      async () => ((await probe(client, `https://traefik.${d}/api/http/routers/extra@file`)).status === 404 ? true : undefined),
      15_000,
    );
  });

  it('exits non-zero naming an unknown static key', async () => {
    const bad = join(dir, 'bad-static');
    await mkdir(bad);
    await writeFile(
      join(bad, 'traefik.yml'),
      staticYaml.replace('  traefik: {address: ":8082"}', '  traefik: {address: ":8082", proxyProtocol: {insecure: true}}'),
    );
    const r = await docker(['run', '--rm', '-v', `${bad}:/etc/traefik:ro`, 'lab-fixture/traefik'], { reject: false });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('entryPoints.traefik.proxyProtocol');
  });
});

// The GitLab double's own tests are in gitlab-platform.test.ts (platform), gitlab-projects.test.ts
// and gitlab-pipelines.test.ts.

describe.skipIf(!hasDocker)('runner fixture', () => {
  async function newRunner(): Promise<{ id: number; token: string }> {
    const r = await api('/user/runners', {
      token: ADMIN_TOKEN,
      method: 'POST',
      body: { runner_type: 'instance_type', description: 'fixture', tag_list: ['lab'] },
    });
    return json(r);
  }
  const status = async (id: number) => json<{ status: string }>(await api(`/runners/${id}`, { token: ADMIN_TOKEN })).status;

  async function startRunner(
    name: string,
    token: string,
    ca: string,
    withHosts: boolean,
  ): Promise<{ container: string; configDir: string }> {
    const configDir = join(dir, name);
    await mkdir(configDir, { recursive: true });
    await writeConfig(configDir, token, ca);
    const container = `${stack.name}-${name}-1`;
    const hosts = withHosts ? ['--add-host', `gitlab.${d}:${stack.proxyIp}`] : [];
    await res.run(container, [
      '--network',
      net,
      ...hosts,
      '-v',
      `${configDir}:/etc/gitlab-runner`,
      '-v',
      `${join(dir, 'tls', 'ca.pem')}:/etc/lab/ca.pem:ro`,
      '-v',
      `${join(dir, 'wrong', 'ca.pem')}:/etc/lab/wrong-ca.pem:ro`,
      'lab-fixture/runner',
    ]);
    return { container, configDir };
  }
  const writeConfig = (configDir: string, token: string, ca: string) =>
    writeFile(join(configDir, 'config.toml'), runnerToml(d, token, ca), { mode: 0o600 });

  it('goes online only with a valid token, the right CA and DNS', async () => {
    const good = await newRunner();
    const wrongCa = await newRunner();
    const noDns = await newRunner();
    await startRunner('runner-good', good.token, '/etc/lab/ca.pem', true);
    const wrong = await startRunner('runner-wrongca', wrongCa.token, '/etc/lab/wrong-ca.pem', true);
    const nodns = await startRunner('runner-nodns', noDns.token, '/etc/lab/ca.pem', false);
    const empty = await startRunner('runner-empty', '', '/etc/lab/ca.pem', true);
    const forged = await startRunner('runner-forged', 'glrt-forged-token', '/etc/lab/ca.pem', true);

    await waitFor('the good runner online', async () => ((await status(good.id)) === 'online' ? true : undefined), 20_000);
    // Several check intervals later the others have still not reached GitLab.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await status(wrongCa.id)).toBe('never_contacted');
    expect(await status(noDns.id)).toBe('never_contacted');
    expect(await logsOf(wrong.container)).toContain('certificate signed by unknown authority');
    expect(await logsOf(nodns.container)).toMatch(/no such host|name resolution/);
    expect(await logsOf(empty.container)).toContain('no token');
    expect(await logsOf(forged.container)).toContain('403');

    // config.toml is re-read when it changes: with the right CA the runner comes online.
    await writeConfig(wrong.configDir, wrongCa.token, '/etc/lab/ca.pem');
    await waitFor('the fixed runner online', async () => ((await status(wrongCa.id)) === 'online' ? true : undefined), 20_000);
    const online = json<{ id: number }[]>(await api('/runners/all?status=online', { token: ADMIN_TOKEN })).map((r) => r.id);
    expect(online.sort()).toEqual([good.id, wrongCa.id].sort());
  });
});
