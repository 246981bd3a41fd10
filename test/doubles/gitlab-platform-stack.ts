// The stack of the GitLab platform tests, wired by hand with the docker CLI: the Traefik
// double at a static IP, the GitLab double behind it with a lab-like GITLAB_OMNIBUS_CONFIG,
// and a client container at a static IP that is the only address on the monitoring
// allowlist. This machine reaches the containers directly (through the network's gateway).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { docker, type TestStack, uniqueStack } from '../helpers/docker.js';
import { runLabelArgs } from '../helpers/run-label.js';
import { tempDir } from '../helpers/tmp.js';
import { ipOf, logsOf, makeCerts, Resources, waitFor } from './harness.js';
import { patSnippet } from './stack-config.js';

export const IMAGE = 'lab-fixture/gitlab';
export const ROOT_PASSWORD = 'Vq7-mZ2x-Lp9w-Rt4k';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON of the API under test.
  json: any;
}

export interface Call {
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const at = (subnet: string, last: number) => subnet.replace(/\.0\/24$/, `.${last}`);

/** The Omnibus configuration lab renders, with a computed allowlist only Ruby can evaluate. */
export const omnibusConfig = (dom: string, proxyIp: string, client: string) => `external_url 'https://gitlab.${dom}'
registry_external_url 'https://registry.${dom}'
letsencrypt['enable'] = false
gitlab_rails['nginx']['listen_port'] = 80
gitlab_rails['nginx']['listen_https'] = false
gitlab_rails['nginx']['proxy_set_headers'] = { 'X-Forwarded-Proto' => 'https', 'X-Forwarded-Ssl' => 'on' }
gitlab_rails['nginx']['real_ip_trusted_addresses'] = ['${proxyIp}']
gitlab_rails['nginx']['real_ip_header'] = 'X-Forwarded-For'
gitlab_rails['nginx']['real_ip_recursive'] = 'on'
registry['nginx']['listen_port'] = 5050
registry['nginx']['listen_https'] = false
gitlab_rails['gitlab_shell_ssh_port'] = 2222
loopback = ['127.0.0.0/8', '::1/128']
gitlab_rails['monitoring_whitelist'] = loopback + ["#{'${client}'}/32"]
gitaly['configuration'] = {
  concurrency: [
    { 'rpc' => '/gitaly.SmartHTTPService/PostReceivePack', 'max_per_repo' => 3 },
  ],
}
`;

export class PlatformStack {
  readonly res = new Resources();
  stack!: TestStack;
  dir = '';
  net = '';
  dom = '';
  gitlab = '';
  ip = '';
  clientIp = '';
  gateway = '';
  ca = '';
  readonly adminToken = `glpat-${randomBytes(10).toString('hex')}`;

  async start(): Promise<void> {
    this.stack = await uniqueStack('gp');
    const { name, subnet, proxyIp } = this.stack;
    this.dir = await tempDir('lab-gitlab-platform-');
    this.net = `${name}-net`;
    this.dom = `${name}.test`;
    this.clientIp = at(subnet, 10);
    this.gateway = at(subnet, 1);
    const tls = join(this.dir, 'tls');
    await makeCerts(tls, `Platform CA ${name}`, [`gitlab.${this.dom}`, `registry.${this.dom}`, `*.${this.dom}`]);
    this.ca = await readFile(join(tls, 'ca.pem'), 'utf8');
    const conf = join(this.dir, 'traefik');
    await mkdir(join(conf, 'dynamic'), { recursive: true });
    await writeFile(
      join(conf, 'traefik.yml'),
      'entryPoints:\n  websecure: {address: ":443"}\nproviders: {file: {directory: /etc/traefik/dynamic}}\n',
    );
    await writeFile(
      join(conf, 'dynamic', 'lab.yml'),
      `http:
  routers:
    gitlab: {rule: "Host(\`gitlab.${this.dom}\`)", entryPoints: [websecure], service: gitlab, tls: {}}
    registry: {rule: "Host(\`registry.${this.dom}\`)", entryPoints: [websecure], service: registry, tls: {}}
  services:
    gitlab: {loadBalancer: {servers: [{url: "http://gitlab:80"}]}}
    registry: {loadBalancer: {servers: [{url: "http://gitlab:5050"}]}}
tls:
  certificates: [{certFile: /etc/lab/tls/lab.pem, keyFile: /etc/lab/tls/lab-key.pem}]
`,
    );
    this.res.networks.push(this.net);
    await docker(['network', 'create', ...runLabelArgs(), '--subnet', subnet, this.net]);
    await this.res.run(`${name}-traefik`, [
      ...runLabelArgs(),
      ...['--network', this.net, '--ip', proxyIp, '-v', `${conf}:/etc/traefik:ro`, '-v', `${tls}:/etc/lab/tls:ro`],
      'lab-fixture/traefik',
    ]);
    this.gitlab = `${name}-gitlab`;
    this.res.volumes.push(`${name}-data`, `${name}-etc`);
    await this.runGitlab();
    await this.res.run(`${name}-client`, [
      ...runLabelArgs(),
      ...['--network', this.net, '--ip', this.clientIp, ...this.hostsArgs(), '-v', `${tls}/ca.pem:/certs/ca.pem:ro`],
      ...['--entrypoint', '/usr/local/bin/node', 'lab-fixture/node', '-e', 'setInterval(() => {}, 1e9)'],
    ]);
    const seeded = await docker(['exec', this.gitlab, 'gitlab-rails', 'runner', patSnippet('root', this.adminToken)], { reject: false });
    if (seeded.exitCode !== 0) throw new Error(`PAT snippet failed: ${seeded.stderr}`);
  }

  hostsArgs(): string[] {
    return ['gitlab', 'registry'].flatMap((h) => ['--add-host', `${h}.${this.dom}:${this.stack.proxyIp}`]);
  }

  /** (Re)creates the GitLab container on the stack's volumes and waits until it is ready. */
  async runGitlab(env: Record<string, string> = {}): Promise<void> {
    const { name, proxyIp } = this.stack;
    if (!this.res.containers.includes(this.gitlab)) this.res.containers.push(this.gitlab);
    await docker(['rm', '-f', this.gitlab], { reject: false });
    const vars = { GITLAB_OMNIBUS_CONFIG: omnibusConfig(this.dom, proxyIp, this.clientIp), GITLAB_ROOT_PASSWORD: ROOT_PASSWORD, ...env };
    await docker([
      'run',
      '-d',
      '--name',
      this.gitlab,
      ...runLabelArgs(),
      ...['--network', this.net, '--network-alias', 'gitlab', ...this.hostsArgs()],
      ...['-v', `${name}-data:/var/opt/gitlab`, '-v', `${name}-etc:/etc/gitlab`],
      ...Object.entries({ FIXTURE_READY_AFTER_MS: '500', ...vars }).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      IMAGE,
    ]);
    this.ip = await ipOf(this.gitlab, this.net);
    await waitFor('GitLab ready', async () => ((await this.fetch('/help')).status === 200 ? true : undefined), 90_000, 500);
  }

  /** A request straight to the GitLab container (this machine is the peer: the gateway). */
  async fetch(path: string, call: Call = {}): Promise<Reply> {
    const headers: Record<string, string> = { Host: `gitlab.${this.dom}`, ...(call.headers ?? {}) };
    if (call.token) headers['PRIVATE-TOKEN'] = call.token;
    const init: RequestInit = { method: call.method ?? 'GET', headers, redirect: 'manual' };
    if (call.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(call.body);
    }
    try {
      const res = await fetch(`http://${this.ip}${path}`, init);
      return reply(res.status, Object.fromEntries(res.headers), await res.text());
    } catch {
      return reply(0, {}, '');
    }
  }

  api(path: string, call: Call = {}): Promise<Reply> {
    return this.fetch(`/api/v4${path}`, { token: this.adminToken, ...call });
  }

  /** A request through the Traefik double (TLS with the stack's CA, SNI gitlab.<dom>). */
  viaProxy(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    const host = `gitlab.${this.dom}`;
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: this.stack.proxyIp, port: 443, path, servername: host, ca: this.ca, headers: { Host: host, ...headers } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(reply(res.statusCode ?? 0, res.headers, text)));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** Runs the probe in the client container (the allowlisted address). */
  async fromClient(url: string, headers: Record<string, string> = {}): Promise<number> {
    const args = ['exec', `${this.stack.name}-client`, '/usr/local/bin/node', '/fixture/probe.mjs', url, '--ca', '/certs/ca.pem'];
    for (const [k, v] of Object.entries(headers)) args.push('--header', `${k}: ${v}`);
    const r = await docker(args, { reject: false });
    return (JSON.parse(r.stdout) as { status?: number }).status ?? 0;
  }

  /** A user with a personal access token. */
  async user(username: string, scopes = ['api']): Promise<{ id: number; token: string; password: string }> {
    const password = `Pw-${randomBytes(8).toString('hex')}`;
    const u = await this.api('/users', { method: 'POST', body: { username, name: username, email: `${username}@example.com`, password } });
    if (u.status !== 201) throw new Error(`POST /users: ${u.status} ${u.text}`);
    const expires = new Date(Date.now() + 7 * 864e5).toISOString().slice(0, 10);
    const t = await this.api(`/users/${u.json.id}/personal_access_tokens`, {
      method: 'POST',
      body: { name: 't', scopes, expires_at: expires },
    });
    if (t.status !== 201) throw new Error(`POST token: ${t.status} ${t.text}`);
    return { id: u.json.id, token: t.json.token, password };
  }

  /**
   * Starts the image with `config` and no data. Resolves its exit code and logs once it has
   * stopped, or exit code null once its log shows `running` (reconfigure passed).
   */
  async reconfigure(config: string, running = 'nginx: listening'): Promise<{ exitCode: number | null; logs: string }> {
    const name = `${this.stack.name}-rc-${randomBytes(3).toString('hex')}`;
    this.res.containers.push(name);
    await docker(['run', '-d', '--name', name, ...runLabelArgs(), '-e', `GITLAB_OMNIBUS_CONFIG=${config}`, IMAGE]);
    const exitCode = await waitFor(
      `${name} to stop or to serve`,
      async () => {
        const r = await docker(['inspect', '-f', '{{.State.Running}} {{.State.ExitCode}}', name]);
        const [state, code] = r.stdout.trim().split(' ');
        if (state === 'false') return { code: Number(code) };
        return (await logsOf(name)).includes(running) ? { code: null } : undefined;
      },
      60_000,
      250,
    );
    const logs = await logsOf(name);
    await docker(['rm', '-f', '-v', name], { reject: false });
    return { exitCode: exitCode.code, logs };
  }
}

function reply(status: number, headers: Reply['headers'], text: string): Reply {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status, headers, text, json };
}
