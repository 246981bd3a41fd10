import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILL_POINTS, type KillPoint } from '../../../src/gitlab/bootstrap/steps.js';
import { inspectContainer } from '../../helpers/docker.js';
import { type FixtureLab, fixtureLab, fixtureSuite, gitlabApi } from '../../helpers/fixture-lab.js';
import { instanceRunners, modeOf, OutputLog, readSecrets, runLabRaw, type Secrets, secretPath, sha256 } from '../../helpers/gitlab.js';
import { tempDir } from '../../helpers/tmp.js';

const run = await fixtureSuite();

/**
 * The GitLab bootstrap on the fixture stack, through the real CLI. One stack for the
 * whole file: every test starts from the converged state the previous one left, which
 * is exactly what a re-run meets in real life.
 */
describe.runIf(run)('GitLab bootstrap: credentials, admin token and one runner online', () => {
  let lab: FixtureLab;
  const log = new OutputLog();
  /** Every secret value seen in the files during the run, by kind, for the final leak check. */
  const seen = { password: new Set<string>(), admin: new Set<string>(), runner: new Set<string>() };
  const marker = () => `lab:${lab.stack.name}`;
  const up = (env: Record<string, string> = {}) => log.lab(['up', '--pull', 'never', '--timeout', '60s'], { cwd: lab.dir, env });

  const secrets = async (): Promise<Secrets> => {
    const s = await readSecrets(lab.dir);
    seen.password.add(s.password);
    seen.admin.add(s.admin.token);
    seen.runner.add(s.runner.token);
    return s;
  };

  /** The converged state: one runner, ours, online, matching runner.json; a working admin token. */
  const expectConverged = async (): Promise<Secrets> => {
    const s = await secrets();
    const self = await gitlabApi(lab, 'GET', '/personal_access_tokens/self', { token: s.admin.token });
    expect(self.status, 'the stored admin token works').toBe(200);
    expect(self.body).toMatchObject({ active: true, revoked: false, name: 'lab-admin' });
    expect(s.admin.state).toBe('active');
    const runners = await instanceRunners(lab, s.admin.token);
    expect(runners.map((r) => ({ id: r.id, description: r.description, status: r.status }))).toEqual([
      { id: s.runner.id, description: marker(), status: 'online' },
    ]);
    const verify = await gitlabApi(lab, 'POST', '/runners/verify', { json: { token: s.runner.token } });
    expect(verify.status, 'the stored runner token verifies').toBe(200);
    expect((verify.body as { id: number }).id).toBe(s.runner.id);
    const config = await readFile(`${lab.dir}/.lab/runner/config.toml`, 'utf8');
    expect(config.includes(`token = "${s.runner.token}"`), 'config.toml holds the stored runner token').toBe(true);
    return s;
  };

  beforeAll(async () => {
    lab = await fixtureLab(tempDir, { prefix: 'g', readyAfterMs: 300 });
  });

  afterAll(async () => {
    await log.lab(['destroy', '--yes'], { cwd: lab.dir });
    await lab.purge();
  });

  it('lab up ends with exactly one runner online and the credentials files in place with mode 0600', async () => {
    const r = await up();
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/GitLab bootstrap/);
    for (const name of ['gitlab.env', 'admin-token.json', 'runner.json']) expect(await modeOf(secretPath(lab.dir, name)), name).toBe(0o600);
    expect(await modeOf(`${lab.dir}/.lab/secrets`)).toBe(0o700);
    const s = await expectConverged();
    expect(s.password.length).toBeGreaterThanOrEqual(24);
    expect(s.runner.token.startsWith('glrt-')).toBe(true);
    // The runner container runs with the token GitLab gave out.
    expect((await inspectContainer(`${lab.stack.name}-runner-1`))?.running).toBe(true);
    const details = await gitlabApi(lab, 'GET', `/runners/${s.runner.id}`, { token: s.admin.token });
    expect(details.body).toMatchObject({ runner_type: 'instance_type', online: true, run_untagged: true });
  });

  it('leaves exactly one runner, unchanged, after three more lab up runs', async () => {
    const before = await secrets();
    const container = await inspectContainer(`${lab.stack.name}-runner-1`);
    for (let i = 0; i < 3; i++) {
      const r = await up();
      expect(r.exitCode, r.all).toBe(0);
    }
    const after = await expectConverged();
    expect(after.runner.id).toBe(before.runner.id);
    expect(after.runner.token === before.runner.token, 'same runner token').toBe(true);
    expect(after.admin.token === before.admin.token, 'same admin token').toBe(true);
    const again = await inspectContainer(`${lab.stack.name}-runner-1`);
    expect([again?.id, again?.startedAt]).toEqual([container?.id, container?.startedAt]);
  });

  it('replaces a runner that was deleted behind its back', async () => {
    const before = await secrets();
    const del = await gitlabApi(lab, 'DELETE', `/runners/${before.runner.id}`, { token: before.admin.token });
    expect(del.status).toBe(204);
    expect(await instanceRunners(lab, before.admin.token)).toEqual([]);
    const container = await inspectContainer(`${lab.stack.name}-runner-1`);
    const r = await up();
    expect(r.exitCode, r.all).toBe(0);
    const after = await expectConverged();
    expect(after.runner.id).not.toBe(before.runner.id);
    // The same container, restarted so that the refusals of the old token cannot be taken for the new one's.
    expect(r.all).toContain('restarted to load its new token');
    const again = await inspectContainer(`${lab.stack.name}-runner-1`);
    expect(again?.id).toBe(container?.id);
    expect(again?.startedAt).not.toBe(container?.startedAt);
  });

  /** Puts the lab in a state where the next run must pass `point`. */
  const prepare = async (point: KillPoint, s: Secrets) => {
    if (point.startsWith('admin-token:')) {
      // Revoked behind lab's back: the next run must create a new admin token.
      expect((await gitlabApi(lab, 'DELETE', '/personal_access_tokens/self', { token: s.admin.token })).status).toBe(204);
    } else if (point === 'runner:created' || point === 'runner:stored') {
      expect((await gitlabApi(lab, 'DELETE', `/runners/${s.runner.id}`, { token: s.admin.token })).status).toBe(204);
    }
  };

  it.each(KILL_POINTS)('converges after lab is killed with SIGKILL at %s', async (point) => {
    const before = await secrets();
    await prepare(point, before);
    const killed = await runLabRaw(['up', '--pull', 'never', '--timeout', '60s'], lab.dir, { LAB_TEST_KILL_AT: point });
    log.entries.push({ label: `lab up (killed at ${point})`, text: `${killed.stdout}\n${killed.stderr}` });
    expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');

    // What the crash left behind, seen from the outside.
    const mid = await secrets();
    if (point === 'admin-token:persisted' || point === 'admin-token:created') expect(mid.admin.state).toBe('pending');
    if (point === 'admin-token:persisted')
      expect((await gitlabApi(lab, 'GET', '/personal_access_tokens/self', { token: mid.admin.token })).status).toBe(401);
    if (point === 'admin-token:created')
      expect((await gitlabApi(lab, 'GET', '/personal_access_tokens/self', { token: mid.admin.token })).status).toBe(200);
    if (point === 'runner:created') {
      // GitLab has a runner that runner.json does not know: an orphan.
      const orphans = (await instanceRunners(lab, mid.admin.token)).filter((r) => r.description === marker() && r.id !== mid.runner.id);
      expect(orphans).toHaveLength(1);
    }

    const r = await up();
    expect(r.exitCode, r.all).toBe(0);
    const after = await expectConverged();
    // No secret lost: the root password file is byte for byte the same.
    expect(sha256(after.passwordFile)).toBe(sha256(before.passwordFile));
    // A token GitLab already created is confirmed, not replaced by yet another one.
    if (point === 'admin-token:created') expect(after.admin.token === mid.admin.token, 'the pending token was confirmed').toBe(true);
    if (point === 'runner:stored' || point === 'runner:started') expect(after.runner.id).toBe(mid.runner.id);
  });

  it('lab credentials prints the URL, user and password; --token adds the admin token; --json too', async () => {
    const s = await secrets();
    const url = `https://gitlab.test:${lab.stack.ports.https}`;
    const plain = await log.lab(['credentials'], { cwd: lab.dir });
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(url);
    expect(plain.stdout).toMatch(/User\s+root/);
    expect(plain.stdout.includes(s.password), 'password shown').toBe(true);
    expect(plain.all.includes(s.admin.token), 'token not shown without --token').toBe(false);

    const withToken = await log.lab(['credentials', '--token'], { cwd: lab.dir });
    expect(withToken.exitCode, withToken.stderr).toBe(0);
    expect(withToken.stdout.includes(s.admin.token), 'token shown with --token').toBe(true);

    const json = await log.lab(['credentials', '--json'], { cwd: lab.dir });
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['password', 'url', 'user']);
    expect(parsed.url).toBe(url);
    expect(parsed.user).toBe('root');
    expect(parsed.password === s.password, 'json password').toBe(true);
    const jsonToken = JSON.parse((await log.lab(['credentials', '--json', '--token'], { cwd: lab.dir })).stdout) as Record<string, unknown>;
    expect(jsonToken.token === s.admin.token, 'json token').toBe(true);
    expect(jsonToken.tokenExpiresAt).toBe(s.admin.expiresAt);
  });

  it('prints no secret from status, render, logs, doctor or a no-op up', async () => {
    for (const args of [
      ['status'],
      ['status', '--json'],
      ['render'],
      ['render', '--json'],
      ['logs', 'gitlab'],
      ['logs', 'runner'],
      ['logs', 'traefik'],
      ['doctor'],
      ['up', '--pull', 'never', '--timeout', '60s'],
      ['up', '--dry-run'],
    ]) {
      await log.lab(args, { cwd: lab.dir });
    }
    await secrets();
  });

  it('lab down, then lab destroy --yes succeeds with a notice that the runner stays in the stopped GitLab', async () => {
    await secrets();
    const down = await log.lab(['down'], { cwd: lab.dir });
    expect(down.exitCode, down.all).toBe(0);
    const destroy = await log.lab(['destroy', '--yes'], { cwd: lab.dir });
    expect(destroy.exitCode, destroy.all).toBe(0);
    expect(destroy.stdout).toMatch(/note: GitLab is not running; runner #\d+ was not deleted in GitLab/);
    expect(await inspectContainer(`${lab.stack.name}-gitlab-1`)).toBeUndefined();
    // The secret files stay: they belong to the lab folder, not to the containers.
    await secrets();
  });

  it('never printed a secret value: every output of every command above, searched for every value', () => {
    expect(seen.admin.size).toBeGreaterThanOrEqual(3);
    expect(seen.runner.size).toBeGreaterThanOrEqual(3);
    expect(log.entries.length).toBeGreaterThan(25);
    // `lab credentials` prints the password on purpose, and the admin token with --token;
    // runner tokens never appear anywhere.
    const allowed = {
      password: (label: string) => label.startsWith('lab credentials'),
      admin: (label: string) => label.startsWith('lab credentials') && label.includes('--token'),
      runner: () => false,
    };
    const leaks: string[] = [];
    for (const kind of ['password', 'admin', 'runner'] as const) {
      let n = 0;
      for (const secret of seen[kind]) {
        n++;
        leaks.push(...log.leaks(secret, allowed[kind]).map((label) => `${kind} #${n} in: ${label}`));
      }
    }
    expect(leaks).toEqual([]);
  });
});
