// One GitLab double on its own network for the projects and pipelines tests, driven from
// the outside: HTTP to the container's address, the real `git` of this machine (names
// resolved with http.curloptResolve), and `docker exec gitlab-rails` for the first admin
// token, as the product bootstraps it. With `proxy`, the Traefik double terminates TLS in
// front of it with a throwaway CA, as in a lab, and git goes through it over HTTPS.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { execa } from 'execa';
import { docker, uniqueStack } from '../helpers/docker.js';
import { runLabelArgs } from '../helpers/run-label.js';
import { tempDir } from '../helpers/tmp.js';
import { ipOf, makeCerts, waitFor } from './harness.js';
import { dynamicYaml, patSnippet, staticYaml } from './stack-config.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON from the API under test.
  json: any;
}

export interface ApiOptions {
  method?: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string | Buffer;
}

export class GitlabDouble {
  readonly name: string;
  readonly net: string;
  readonly dom: string;
  ip = '';
  proxyIp = '';
  caFile = '';
  adminToken = `glpat-${randomBytes(10).toString('hex')}`;

  constructor(
    prefix: string,
    readonly scheme: 'http' | 'https',
    readonly proxy = false,
  ) {
    this.name = `${prefix}${randomBytes(3).toString('hex')}`;
    this.net = `${this.name}-net`;
    this.dom = `${this.name}.test`;
  }

  get host(): string {
    return `gitlab.${this.dom}`;
  }

  /** The external URL GitLab believes it has. */
  get externalUrl(): string {
    return `${this.scheme}://${this.host}`;
  }

  async start(): Promise<void> {
    const stack = await uniqueStack(this.name);
    await docker(['network', 'create', ...runLabelArgs(), '--subnet', stack.subnet, this.net]);
    const omnibus = [
      `external_url '${this.externalUrl}'`,
      "gitlab_rails['nginx']['listen_port'] = 80",
      "gitlab_rails['nginx']['listen_https'] = false",
      `registry_external_url 'https://registry.${this.dom}'`,
      "registry['nginx']['listen_port'] = 5050",
      "registry['nginx']['listen_https'] = false",
      `gitlab_rails['monitoring_whitelist'] = ['127.0.0.0/8', '${stack.subnet}']`,
    ].join('\n');
    await docker([
      'run',
      '-d',
      '--name',
      this.name,
      ...runLabelArgs(),
      '--network',
      this.net,
      '--network-alias',
      'gitlab',
      '-e',
      `GITLAB_OMNIBUS_CONFIG=${omnibus}`,
      '-e',
      'GITLAB_ROOT_PASSWORD=Vq7-mZ2x-Lp9w-Rt4k',
      '-e',
      'FIXTURE_READY_AFTER_MS=0',
      'lab-fixture/gitlab',
    ]);
    const inspect = await docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${this.net}").IPAddress}}`, this.name]);
    this.ip = inspect.stdout.trim();
    if (this.proxy) await this.startProxy();
    await waitFor('GitLab readiness', async () => ((await this.fetch('/-/readiness')).status === 200 ? true : undefined), 90_000, 500);
    const r = await docker(['exec', this.name, 'gitlab-rails', 'runner', patSnippet('root', this.adminToken)], { reject: false });
    if (r.exitCode !== 0) throw new Error(`admin token: ${r.stderr}`);
  }

  /** The Traefik double with the lab's static and dynamic files, serving a leaf of a fresh CA. */
  private async startProxy(): Promise<void> {
    const dir = await tempDir('lab-gl-proxy-');
    await mkdir(join(dir, 'tls'));
    await mkdir(join(dir, 'traefik', 'dynamic'), { recursive: true });
    await makeCerts(join(dir, 'tls'), `CA ${this.name}`, [this.host, `*.${this.dom}`]);
    await writeFile(join(dir, 'traefik', 'traefik.yml'), staticYaml);
    await writeFile(join(dir, 'traefik', 'dynamic', 'lab.yml'), dynamicYaml(this.dom));
    this.caFile = join(dir, 'tls', 'ca.pem');
    await docker([
      'run',
      '-d',
      '--name',
      `${this.name}-proxy`,
      ...runLabelArgs(),
      '--network',
      this.net,
      '-v',
      `${join(dir, 'traefik')}:/etc/traefik:ro`,
      '-v',
      `${join(dir, 'tls')}:/etc/lab/tls:ro`,
      'lab-fixture/traefik',
    ]);
    this.proxyIp = await ipOf(`${this.name}-proxy`, this.net);
    const ca = await readFile(this.caFile);
    const readiness = () =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: this.proxyIp, port: 443, path: '/-/readiness', servername: this.host, headers: { Host: this.host }, ca },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
    await waitFor('GitLab through the proxy', async () => ((await readiness()) === 200 ? true : undefined), 30_000, 250);
  }

  async stop(): Promise<void> {
    await docker(['rm', '-f', '-v', `${this.name}-proxy`], { reject: false });
    await docker(['rm', '-f', '-v', this.name], { reject: false });
    await docker(['network', 'rm', this.net], { reject: false });
  }

  async fetch(path: string, opts: ApiOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { Host: this.host, ...(opts.headers ?? {}) };
    if (opts.token) headers['PRIVATE-TOKEN'] = opts.token;
    let body: string | Buffer | undefined = opts.raw;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(`http://${this.ip}${path}`, { method: opts.method ?? 'GET', headers, body, redirect: 'manual' });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  api(path: string, opts: ApiOptions = {}): Promise<Reply> {
    return this.fetch(`/api/v4${path}`, { token: this.adminToken, ...opts });
  }

  /** A user with a personal access token (`scopes`, default api). */
  async user(username: string, scopes = ['api']): Promise<{ id: number; username: string; token: string; password: string }> {
    const password = `Pw-${randomBytes(8).toString('hex')}`;
    const u = await this.api('/users', {
      method: 'POST',
      body: { username, name: username, email: `${username}@example.com`, password, skip_confirmation: true },
    });
    if (u.status !== 201) throw new Error(`POST /users ${u.status} ${u.text}`);
    const t = await this.api(`/users/${u.json.id}/personal_access_tokens`, { method: 'POST', body: { name: 't', scopes } });
    if (t.status !== 201) throw new Error(`POST token ${t.status} ${t.text}`);
    return { id: u.json.id, username, token: t.json.token, password };
  }

  /** Real git against the double; `url(user, pass, path)` builds credentials into the remote. */
  git(args: string[], opts: { cwd?: string; input?: string } = {}) {
    const route = [
      '-c',
      this.proxy ? `http.curloptResolve=${this.host}:443:${this.proxyIp}` : `http.curloptResolve=${this.host}:80:${this.ip}`,
    ];
    return execa('git', ['-c', 'credential.helper=', ...route, '-c', 'protocol.version=2', ...args], {
      cwd: opts.cwd,
      reject: false,
      env: { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', ...(this.proxy ? { GIT_SSL_CAINFO: this.caFile } : {}) },
      ...(opts.input === undefined ? {} : { input: opts.input }),
    });
  }

  url(path: string, user?: string, pass?: string): string {
    const auth = user === undefined ? '' : `${encodeURIComponent(user)}:${encodeURIComponent(pass ?? '')}@`;
    return `${this.proxy ? 'https' : 'http'}://${auth}${this.host}/${path}`;
  }
}
