import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { FIXTURE_IMAGES, purgeStack } from '../engine/fixture-stack.js';
import { runLab, type LabRun } from './cli.js';
import { docker, uniqueStack, type TestStack } from './docker.js';

/**
 * A lab folder on the fixture images with a unique name, subnet, ports and domain
 * (`<name>.test`), so tests that write /etc/hosts or certs.d never meet each other.
 */
export interface FixtureLabDir {
  stack: TestStack;
  name: string;
  domain: string;
  dir: string;
  ports: TestStack['ports'];
  hosts: { gitlab: string; registry: string; traefik: string };
  up(args?: string[]): Promise<LabRun>;
  lab(args: string[], env?: Record<string, string | undefined>): Promise<LabRun>;
  /** Removes every container, network and volume of the stack (whatever state a test left). */
  purge(): Promise<void>;
}

export async function fixtureLabDir(makeDir: (prefix: string) => Promise<string>, prefix: string, options: { https?: number; readyAfterMs?: number } = {}): Promise<FixtureLabDir> {
  const stack = await uniqueStack(prefix);
  if (options.https !== undefined) stack.ports.https = options.https;
  const dir = await makeDir(`lab-${stack.name}-`);
  const domain = `${stack.name}.test`;
  await writeFile(
    join(dir, 'lab.yml'),
    [
      `name: ${stack.name}`,
      `domain: ${domain}`,
      'network:',
      `  subnet: ${stack.subnet}`,
      'ports:',
      `  http: ${stack.ports.http}`,
      `  https: ${stack.ports.https}`,
      `  ssh: ${stack.ports.ssh}`,
      'images:',
      `  traefik: ${FIXTURE_IMAGES.traefik}`,
      `  gitlab: ${FIXTURE_IMAGES.gitlab}`,
      `  runner: ${FIXTURE_IMAGES.runner}`,
      'gitlab:',
      '  environment:',
      `    FIXTURE_READY_AFTER_MS: "${options.readyAfterMs ?? 300}"`,
      '',
    ].join('\n'),
  );
  const lab = (args: string[], env: Record<string, string | undefined> = {}) => runLab(['--dir', dir, ...args], { env });
  return {
    stack,
    name: stack.name,
    domain,
    dir,
    ports: stack.ports,
    hosts: { gitlab: `gitlab.${domain}`, registry: `registry.${domain}`, traefik: `traefik.${domain}` },
    up: (args = []) => lab(['up', '--skip-runner', '--pull', 'never', '--timeout', '60s', ...args]),
    lab,
    purge: () => purgeStack(stack.name),
  };
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** GitLab's REST API through the lab's published port, with the lab CA as the only trust. */
export async function fixtureApi(lab: FixtureLabDir, method: string, path: string, options: { token?: string; json?: unknown } = {}): Promise<ApiAnswer> {
  const ca = await readFile(join(lab.dir, 'certs', 'ca', 'rootCA.pem'));
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: lab.hosts.gitlab,
        port: lab.ports.https,
        path: `/api/v4${path}`,
        method,
        ca,
        agent: false,
        timeout: 10_000,
        headers: {
          host: lab.hosts.gitlab,
          accept: 'application/json',
          ...(options.token ? { 'private-token': options.token } : {}),
          ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/**
 * An admin token made the documented way, inside the GitLab container with
 * `gitlab-rails runner` (https://docs.gitlab.com/user/profile/personal_access_tokens/#create-a-personal-access-token-programmatically).
 */
export async function createAdminToken(lab: FixtureLabDir): Promise<string> {
  const token = `glpat-${randomBytes(15).toString('hex')}`;
  const ruby = [
    "user = User.find_by_username('root')",
    "token = user.personal_access_tokens.create(scopes: ['api', 'create_runner'], name: 'lab-doctor-test', expires_at: 30.days.from_now)",
    `token.set_token('${token}')`,
    'token.save!',
  ].join('; ');
  const r = await docker(['exec', `${lab.name}-gitlab-1`, 'gitlab-rails', 'runner', ruby], { reject: false });
  if (r.exitCode !== 0) throw new Error(`gitlab-rails runner failed (exit ${r.exitCode})`);
  return token;
}

/** An instance runner created through the API (https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user). */
export async function createRunner(lab: FixtureLabDir, adminToken: string): Promise<{ id: number; token: string }> {
  const r = await fixtureApi(lab, 'POST', '/user/runners', { token: adminToken, json: { runner_type: 'instance_type', description: `doctor-${lab.name}`, run_untagged: true } });
  if (r.status !== 201) throw new Error(`POST /user/runners answered ${r.status}`);
  const { id, token } = r.body as { id: number; token: string };
  return { id, token };
}

/** What a runner does when it polls for jobs; GitLab counts it as contact. */
export async function pollAsRunner(lab: FixtureLabDir, runnerToken: string): Promise<number> {
  return (await fixtureApi(lab, 'POST', '/jobs/request', { json: { token: runnerToken, info: { name: 'doctor-test' } } })).status;
}

/** Writes the two secret files the way the bootstrap (issue 5) keeps them: 0600 in .lab/secrets. */
export async function writeBootstrapSecrets(lab: FixtureLabDir, admin: string, runner: { id: number; token: string }): Promise<void> {
  const dir = join(lab.dir, '.lab', 'secrets');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const put = async (name: string, value: unknown) => {
    const path = join(dir, name);
    await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
  };
  await put('admin-token.json', { token: admin, name: 'lab-doctor-test', scopes: ['api', 'create_runner'] });
  await put('runner.json', runner);
}
