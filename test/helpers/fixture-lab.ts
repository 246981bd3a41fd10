import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { type LabRun, runLab } from './cli.js';
import { docker, purgeStack, requireDocker, type TestStack, uniqueStack } from './docker.js';
import { runLabels } from './run-label.js';

// No vitest import here (nor of tmp.ts, which registers a hook): the benches use this module too.

/** The fixture images scripts/fixtures.sh builds; tests need them present (nothing can be pulled). */
export const FIXTURE_IMAGES = {
  traefik: 'lab-fixture/traefik:latest',
  gitlab: 'lab-fixture/gitlab:latest',
  runner: 'lab-fixture/runner:latest',
  node: 'lab-fixture/node:latest',
  busybox: 'lab-fixture/busybox:latest',
} as const;

export async function missingFixtures(): Promise<string[]> {
  const missing: string[] = [];
  for (const image of Object.values(FIXTURE_IMAGES)) {
    if ((await docker(['image', 'inspect', image], { reject: false })).exitCode !== 0) missing.push(image);
  }
  return missing;
}

/**
 * Whether a suite on the fixture stack can run: `when` holds (a platform condition; the
 * engine is not asked otherwise), an engine answers and every fixture image is present.
 * Skips otherwise, unless LAB_REQUIRE_DOCKER=1 (as in CI), where a missing engine or
 * image throws instead of passing by skipping.
 */
export async function fixtureSuite(options: { when?: boolean } = {}): Promise<boolean> {
  if (options.when === false || !(await requireDocker())) return false;
  const missing = await missingFixtures();
  if (missing.length === 0) return true;
  if (process.env.LAB_REQUIRE_DOCKER === '1')
    throw new Error(`LAB_REQUIRE_DOCKER=1 but fixture images are missing: ${missing.join(', ')} (run scripts/fixtures.sh)`);
  return false;
}

export interface FixtureLabOptions {
  /** The start of the stack name (a random suffix follows). */
  prefix?: string;
  /** FIXTURE_READY_AFTER_MS for the GitLab fixture (-1: never ready); 300 unless given. */
  readyAfterMs?: number;
  /** More GitLab environment, written after FIXTURE_READY_AFTER_MS. */
  env?: Record<string, string>;
  /** `domain: <name>.test` instead of the default `test`, for tests that write /etc/hosts, certs.d or trust stores. */
  uniqueDomain?: boolean;
  /** ports.https, instead of a free port. */
  https?: number;
}

/** A lab folder on the fixture images with a unique name, subnet and ports. */
export interface FixtureLab {
  stack: TestStack;
  name: string;
  domain: string;
  dir: string;
  ports: TestStack['ports'];
  hosts: { gitlab: string; registry: string; traefik: string };
  /** Rewrites lab.yml with extra GitLab environment (a config change for GitLab only). */
  write(extraEnv?: Record<string, string>): Promise<void>;
  /** `lab --dir <dir> …`. */
  lab(args: string[], env?: Record<string, string | undefined>): Promise<LabRun>;
  /** `lab --dir <dir> up --skip-runner --pull never --timeout 60s …`. */
  up(args?: string[]): Promise<LabRun>;
  /** Removes every container, network and volume of the stack (whatever state a test left). */
  purge(): Promise<void>;
}

/**
 * Makes the lab folder with `makeDir` (tests pass tempDir from ./tmp.js, which removes it
 * after the file; benches make and remove their own) and writes its lab.yml.
 */
export async function fixtureLab(makeDir: (prefix: string) => Promise<string>, options: FixtureLabOptions = {}): Promise<FixtureLab> {
  const stack = await uniqueStack(options.prefix ?? 'f');
  if (options.https !== undefined) stack.ports.https = options.https;
  const name = stack.name;
  const dir = await makeDir(`lab-${name}-`);
  const domain = options.uniqueDomain ? `${name}.test` : 'test';
  const write = async (extraEnv: Record<string, string> = {}) => {
    const env = { FIXTURE_READY_AFTER_MS: String(options.readyAfterMs ?? 300), ...options.env, ...extraEnv };
    await writeFile(
      join(dir, 'lab.yml'),
      [
        `name: ${name}`,
        ...(options.uniqueDomain ? [`domain: ${domain}`] : []),
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
        // Every container, network and volume lab creates carries this run's label.
        'labels:',
        ...Object.entries(runLabels()).map(([k, v]) => `  ${k}: "${v}"`),
        'gitlab:',
        '  environment:',
        ...Object.entries(env).map(([k, v]) => `    ${k}: "${v}"`),
        '',
      ].join('\n'),
    );
  };
  await write();
  const lab = (args: string[], env: Record<string, string | undefined> = {}) => runLab(['--dir', dir, ...args], { env });
  return {
    stack,
    name,
    domain,
    dir,
    ports: stack.ports,
    hosts: { gitlab: `gitlab.${domain}`, registry: `registry.${domain}`, traefik: `traefik.${domain}` },
    write,
    lab,
    up: (args = []) => lab(['up', '--skip-runner', '--pull', 'never', '--timeout', '60s', ...args]),
    purge: () => purgeStack(name),
  };
}

export interface ApiAnswer {
  status: number;
  /** Parsed JSON; the text when it is not JSON; undefined when empty. */
  body: unknown;
}

/**
 * GitLab's REST API, written here (node:https), not lab's client: through the lab's
 * published HTTPS port with Host/SNI the lab's GitLab host, trusting the lab CA only.
 */
export async function gitlabApi(
  lab: Pick<FixtureLab, 'dir' | 'ports' | 'hosts'>,
  method: string,
  path: string,
  options: { token?: string; json?: unknown } = {},
): Promise<ApiAnswer> {
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
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

// For the doctor suites: a runner registered behind lab's back, and the secrets the bootstrap would keep.

/**
 * An admin token made the documented way, inside the GitLab container with
 * `gitlab-rails runner` (https://docs.gitlab.com/user/profile/personal_access_tokens/#create-a-personal-access-token-programmatically).
 */
export async function createAdminToken(lab: FixtureLab): Promise<string> {
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
export async function createRunner(lab: FixtureLab, adminToken: string): Promise<{ id: number; token: string }> {
  const r = await gitlabApi(lab, 'POST', '/user/runners', {
    token: adminToken,
    json: { runner_type: 'instance_type', description: `doctor-${lab.name}`, run_untagged: true },
  });
  if (r.status !== 201) throw new Error(`POST /user/runners answered ${r.status}`);
  const { id, token } = r.body as { id: number; token: string };
  return { id, token };
}

/** What a runner does when it polls for jobs; GitLab counts it as contact. */
export async function pollAsRunner(lab: FixtureLab, runnerToken: string): Promise<number> {
  return (await gitlabApi(lab, 'POST', '/jobs/request', { json: { token: runnerToken, info: { name: 'doctor-test' } } })).status;
}

/** Writes the two secret files the way the bootstrap (issue 5) keeps them: 0600 in .lab/secrets. */
export async function writeBootstrapSecrets(lab: FixtureLab, admin: string, runner: { id: number; token: string }): Promise<void> {
  const dir = join(lab.dir, '.lab', 'secrets');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const put = async (name: string, value: unknown) => {
    const path = join(dir, name);
    await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    await chmod(path, 0o600);
  };
  // The shape the bootstrap writes (src/gitlab/admin-token.ts), so lab reads it as its own.
  const now = new Date();
  const expiresAt = new Date(now.getTime() + 30 * 86_400_000).toISOString().slice(0, 10);
  await put('admin-token.json', {
    token: admin,
    name: 'lab-doctor-test',
    scopes: ['api', 'create_runner'],
    expiresAt,
    state: 'active',
    createdAt: now.toISOString(),
  });
  await put('runner.json', runner);
}
