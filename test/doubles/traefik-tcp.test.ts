// TCP routing in the Traefik double (Git over SSH, as lab renders it), proved from the
// outside: raw sockets from this machine to the double's entry points, an upstream that
// reports what reached it, the API, live reloads, and ssh and git through the double to
// the GitLab double's real sshd. Every resource has a unique name and the run label.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, requireDocker, type TestStack, uniqueStack } from '../helpers/docker.js';
import { tempDir } from '../helpers/tmp.js';
import { ipOf, logsOf, Resources, waitFor } from './harness.js';
import { patSnippet } from './stack-config.js';
import { firstLine as lineFrom, open as openAt } from './tcp-client.js';

const hasDocker = await requireDocker();
const res = new Resources();
let stack: TestStack;
let dir: string;
let dom: string;
let traefik: string;
let upstream: string;
let gitlab: string;
const TOKEN = `glpat-${randomBytes(10).toString('hex')}`;

// The upstream: 7000 greets each connection with its number and peer, echoes, reports the
// client's FIN with a digest of what came, and tries a late reply; 7001 speaks and closes.
const UPSTREAM = `
const net = require('net'); const crypto = require('crypto'); let n = 0;
net.createServer({ allowHalfOpen: true }, (s) => {
  const id = ++n; const h = crypto.createHash('sha256'); let bytes = 0;
  s.write('hello ' + id + ' ' + s.remoteAddress.replace(/^::ffff:/, '') + '\\n');
  s.on('data', (c) => { bytes += c.length; h.update(c); s.write(c); });
  s.on('end', () => { console.log('fin ' + id + ' ' + bytes + ' ' + h.digest('hex')); setTimeout(() => s.end('late\\n'), 500); });
  s.on('error', () => {});
}).listen(7000);
net.createServer({ allowHalfOpen: true }, (s) => { s.end('bye\\n'); s.on('error', () => {}); s.resume(); }).listen(7001);
`;

const STATIC = `log: {level: DEBUG}
api: {dashboard: true}
entryPoints:
  websecure: {address: ":443"}
  raw: {address: ":7000"}
  bye: {address: ":7100"}
  dead: {address: ":7200"}
  nohost: {address: ":7300"}
  sni: {address: ":7400"}
  mixed: {address: ":7500"}
  gitlab-ssh: {address: ":2222"}
  traefik: {address: ":8080"}
providers: {file: {directory: /etc/traefik/dynamic, watch: true}}
`;

const dynamic = (rawService = 'echo', extra = '') => `http:
  routers:
    api: {rule: "Host(\`traefik.${dom}\`)", entryPoints: [traefik], service: api@internal}
    plain: {rule: "Host(\`plain.${dom}\`)", entryPoints: [sni, mixed], service: api@internal}
    secure: {rule: "Host(\`gitlab.${dom}\`)", entryPoints: [websecure], service: api@internal, tls: {}}
tcp:
  routers:
    raw: {rule: "HostSNI(\`*\`)", entryPoints: [raw], service: ${rawService}${extra}}
    bye: {rule: "HostSNI(\`*\`)", entryPoints: [bye], service: bye}
    dead: {rule: "HostSNI(\`*\`)", entryPoints: [dead], service: dead}
    nohost: {rule: "HostSNI(\`*\`)", entryPoints: [nohost], service: nohost}
    sni: {rule: "HostSNI(\`gitlab.${dom}\`)", entryPoints: [sni], service: echo}
    mixed: {rule: "HostSNI(\`*\`)", entryPoints: [mixed], service: echo}
    gitlab-ssh: {rule: "HostSNI(\`*\`)", entryPoints: [gitlab-ssh], service: gitlab-ssh}
  services:
    echo: {loadBalancer: {servers: [{address: "upstream:7000"}]}}
    bye: {loadBalancer: {servers: [{address: "upstream:7001"}]}}
    dead: {loadBalancer: {servers: [{address: "upstream:9"}]}}
    nohost: {loadBalancer: {servers: [{address: "nope:22"}]}}
    gitlab-ssh: {loadBalancer: {servers: [{address: "gitlab:22"}]}}
`;

/** A plain HTTP GET to an entry point of the double, with a Host header of our choice. */
function get(port: number, path: string, host: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: stack.proxyIp, port, path, headers: { Host: host } }, (r) => {
      let text = '';
      r.on('data', (c) => (text += c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}
const api = (path: string) => get(8080, path, `traefik.${dom}`);
const open = (port: number) => openAt(stack.proxyIp, port);
const firstLine = (port: number) => lineFrom(stack.proxyIp, port);
const upstreamLogs = () => logsOf(upstream);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  if (!hasDocker) return;
  stack = await uniqueStack('tt');
  dom = `${stack.name}.test`;
  dir = await tempDir('lab-traefik-tcp-');
  const net = `${stack.name}-net`;
  await mkdir(join(dir, 'dynamic'), { recursive: true });
  await writeFile(join(dir, 'traefik.yml'), STATIC);
  await writeFile(join(dir, 'dynamic', 'lab.yml'), dynamic());
  res.networks.push(net);
  await docker(['network', 'create', '--subnet', stack.subnet, net]);
  upstream = `${stack.name}-upstream`;
  await res.run(upstream, [
    '--network',
    net,
    '--network-alias',
    'upstream',
    '--entrypoint',
    '/usr/local/bin/node',
    'lab-fixture/node',
    '-e',
    UPSTREAM,
  ]);
  gitlab = `${stack.name}-gitlab`;
  const omnibus = `external_url 'https://gitlab.${dom}'\ngitlab_rails['nginx']['listen_port'] = 80\ngitlab_rails['nginx']['listen_https'] = false\ngitlab_rails['gitlab_shell_ssh_port'] = 2222\n`;
  await res.run(gitlab, [
    '--network',
    net,
    '--network-alias',
    'gitlab',
    '-e',
    `GITLAB_OMNIBUS_CONFIG=${omnibus}`,
    '-e',
    'FIXTURE_READY_AFTER_MS=500',
    'lab-fixture/gitlab',
  ]);
  traefik = `${stack.name}-traefik`;
  await res.run(traefik, ['--network', net, '--ip', stack.proxyIp, '-v', `${dir}:/etc/traefik:ro`, 'lab-fixture/traefik']);
  await waitFor('the double and its upstream', async () => ((await firstLine(7100)) === 'bye' ? true : undefined), 30_000, 500);
  const gitlabIp = await ipOf(gitlab, net);
  await waitFor(
    'GitLab ready',
    async () => ((await fetch(`http://${gitlabIp}/help`, { headers: { Host: `gitlab.${dom}` } })).ok ? true : undefined),
    90_000,
    500,
  );
  const seeded = await docker(['exec', gitlab, 'gitlab-rails', 'runner', patSnippet('root', TOKEN)], { reject: false });
  if (seeded.exitCode !== 0) throw new Error(`PAT snippet failed: ${seeded.stderr}`);
});

afterAll(async () => {
  if (hasDocker) await res.cleanup();
});

describe.skipIf(!hasDocker)('traefik double: TCP routers', () => {
  it('hands a connection to HostSNI(`*`) at once, over its own upstream connection', async () => {
    // Nothing is sent: a server-first protocol (SSH) must get its banner.
    const [a, b] = [open(7000), open(7000)];
    const [la, lb] = await Promise.all([a.line(), b.line()]);
    expect(la).toMatch(new RegExp(`^hello \\d+ ${stack.proxyIp.replace(/\./g, '\\.')}$`));
    expect(lb).toMatch(/^hello \d+ /);
    expect(la.split(' ')[1]).not.toBe(lb.split(' ')[1]);
    a.socket.destroy();
    b.socket.destroy();
  });

  it('copies 16 MiB both ways byte for byte, then forwards the client half-close', async () => {
    const c = open(7000);
    const greeting = `${await c.line()}\n`;
    const payload = randomBytes(16 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 65_536) {
      if (!c.socket.write(payload.subarray(i, i + 65_536))) await new Promise((r) => c.socket.once('drain', r));
    }
    const back = await c.until(() => true, 60_000, greeting.length + payload.length);
    expect(sha(back.subarray(greeting.length))).toBe(sha(payload));
    c.socket.end();
    expect(await c.ended).toBe('end');
    const id = greeting.split(' ')[1];
    await waitFor('the upstream to see the FIN', async () =>
      (await upstreamLogs()).includes(`fin ${id} ${payload.length} ${sha(payload)}`) ? true : undefined,
    );
  });

  it('ends the other direction as soon as one side half-closes (termination delay 0)', async () => {
    const c = open(7000);
    const greeting = `${await c.line()}\n`;
    c.socket.write('ping\n');
    await c.until((b) => b.toString().endsWith('ping\n'));
    c.socket.end();
    expect(await c.ended).toBe('end');
    await sleep(1000); // the upstream answers 500 ms after the FIN: that never arrives
    expect(c.data().toString()).toBe(`${greeting}ping\n`);
    expect(await upstreamLogs()).toContain(`fin ${greeting.split(' ')[1]} 5 `);
  });

  it('forwards the upstream half-close to the client after its bytes', async () => {
    const c = open(7100);
    expect(await c.ended).toBe('end');
    expect(c.data().toString()).toBe('bye\n');
  });

  it('closes the client connection when the upstream cannot be dialled, and logs why', async () => {
    for (const port of [7200, 7300]) {
      const c = open(port);
      expect(['end', 'close']).toContain(await c.ended);
      expect(c.data().length).toBe(0);
    }
    const logs = await logsOf(traefik);
    expect(logs).toMatch(/Error while dialing backend error="dial tcp [\d.]+:9: connect: connection refused"/);
    expect(logs).toContain('Error while dialing backend error="dial tcp: lookup nope: no such host"');
  });

  it('disables HostSNI with a name and no TLS, as Traefik reports it; HTTP keeps that entry point', async () => {
    const r = await api('/api/tcp/routers/sni@file');
    expect(r.json).toMatchObject({
      status: 'disabled',
      error: [`invalid rule: "HostSNI(\`gitlab.${dom}\`)" , has HostSNI matcher, but no TLS on router`],
    });
    expect((await get(7400, '/api/version', `plain.${dom}`)).json).toMatchObject({ Version: '3.7.13' });
  });

  it('gives every connection of an entry point with HostSNI(`*`) to TCP, plain HTTP included', async () => {
    const c = open(7500);
    const request = `GET /api/version HTTP/1.1\r\nHost: plain.${dom}\r\n\r\n`;
    c.socket.write(request);
    const got = (await c.until((b) => b.toString().endsWith(request))).toString();
    expect(got).toMatch(/^hello \d+ /);
    c.socket.destroy();
  });

  it('shows TCP routers, services and entry points in the API', async () => {
    const routers = (await api('/api/tcp/routers')).json as { name: string }[];
    expect(routers.map((r) => r.name)).toEqual([
      'bye@file',
      'dead@file',
      'gitlab-ssh@file',
      'mixed@file',
      'nohost@file',
      'raw@file',
      'sni@file',
    ]);
    expect(routers.find((r) => r.name === 'gitlab-ssh@file')).toEqual({
      entryPoints: ['gitlab-ssh'],
      service: 'gitlab-ssh',
      rule: 'HostSNI(`*`)',
      priority: -1,
      status: 'enabled',
      using: ['gitlab-ssh'],
      name: 'gitlab-ssh@file',
      provider: 'file',
      priorityStr: '-1',
    });
    expect((await api('/api/tcp/services/echo@file')).json).toEqual({
      loadBalancer: { servers: [{ address: 'upstream:7000' }] },
      status: 'enabled',
      usedBy: ['mixed@file', 'raw@file', 'sni@file'],
      name: 'echo@file',
      provider: 'file',
      type: 'loadbalancer',
      serverStatus: { 'upstream:7000': 'UP' },
    });
    expect(await api('/api/tcp/routers/nope@file')).toEqual({ status: 404, json: { message: 'router not found: nope@file' } });
    expect((await api('/api/entrypoints')).json).toContainEqual({ address: ':2222', name: 'gitlab-ssh' });
    expect((await api('/api/overview')).json).toMatchObject({ tcp: { routers: { total: 7, errors: 1 }, services: { total: 5 } } });
  });

  it('reaches the GitLab double sshd through the double: ssh -p 2222 git@gitlab.<domain>, clone and push', async () => {
    const keys = await tempDir('lab-traefik-ssh-');
    const key = join(keys, 'id_ed25519');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const pub = (await execa('cat', [`${key}.pub`])).stdout.trim();
    const gitlabIp = await ipOf(gitlab, `${stack.name}-net`);
    const gl = (path: string, body: unknown) =>
      fetch(`http://${gitlabIp}/api/v4${path}`, {
        method: 'POST',
        headers: { Host: `gitlab.${dom}`, 'PRIVATE-TOKEN': TOKEN, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await gl('/user/keys', { title: 'tcp test', key: pub })).status).toBe(201);
    expect((await gl('/projects', { name: 'tcp', visibility: 'private' })).status).toBe(201);
    // The name is the lab's; the address is the double's, as a hosts entry would make it.
    const opts = ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
    const ssh = [...opts, '-o', 'LogLevel=ERROR', '-o', `HostName=${stack.proxyIp}`];
    const hello = await execa('ssh', [...ssh, '-p', '2222', `git@gitlab.${dom}`], { reject: false });
    expect(hello.stdout).toBe('Welcome to GitLab, @root!');
    const env = { GIT_SSH_COMMAND: `ssh ${ssh.join(' ')}`, GIT_TERMINAL_PROMPT: '0' };
    const git = (args: string[], cwd?: string) =>
      execa('git', ['-c', 'user.name=Lab Test', '-c', 'user.email=lab@example.com', ...args], { cwd, env, reject: false });
    const url = `ssh://git@gitlab.${dom}:2222/root/tcp.git`;
    const work = await tempDir('lab-traefik-git-');
    const a = join(work, 'a');
    await git(['init', '-q', '-b', 'main', a]);
    await writeFile(join(a, 'blob'), randomBytes(256 * 1024));
    await git(['add', 'blob'], a);
    expect((await git(['commit', '-m', 'through traefik'], a)).exitCode).toBe(0);
    const push = await git(['push', url, 'HEAD:main'], a);
    expect(push.exitCode, push.stderr).toBe(0);
    expect((await git(['clone', url, join(work, 'b')])).exitCode).toBe(0);
    expect((await git(['log', '--format=%s'], join(work, 'b'))).stdout).toBe('through traefik');
  });

  it('reloads the TCP section live and keeps the last good one when a change is bad', async () => {
    const file = join(dir, 'dynamic', 'lab.yml');
    await writeFile(file, dynamic('bye'));
    await waitFor('the reload', async () => ((await firstLine(7000)) === 'bye' ? true : undefined));
    // tls on a TCP router is not implemented: the whole change is refused, loudly.
    await writeFile(file, dynamic('echo', ', tls: {}'));
    await waitFor('the refusal', async () =>
      (await logsOf(traefik)).includes('field not found, node: tcp.routers.raw.tls') ? true : undefined,
    );
    expect(await firstLine(7000)).toBe('bye');
    // A TCP route beside TLS HTTP routers on one entry point is not implemented either.
    await writeFile(file, dynamic('echo', ', entryPoints: [websecure]').replace('entryPoints: [raw], ', ''));
    await waitFor('the second refusal', async () =>
      (await logsOf(traefik)).includes('TCP and HTTPS routers on one entry point are not implemented') ? true : undefined,
    );
    expect(await firstLine(7000)).toBe('bye');
    expect((await api('/api/tcp/routers/raw@file')).json).toMatchObject({ service: 'bye', entryPoints: ['raw'] });
  });
});
