// The GitLab double's platform, from the outside: the release it reports, `gitlab-ctl
// reconfigure` evaluating GITLAB_OMNIBUS_CONFIG with Ruby, the client address behind the
// proxy, runner contact, the registry's token auth with a real Docker daemon, and Git over
// the real sshd with gitlab-shell. Every resource has a unique name and the run label.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, requireDocker } from '../helpers/docker.js';
import { runLabelArgs } from '../helpers/run-label.js';
import { tempDir } from '../helpers/tmp.js';
import { decodeJwt, sshIdentity, startDaemon } from './gitlab-clients.js';
import { PlatformStack, ROOT_PASSWORD } from './gitlab-platform-stack.js';
import { logsOf, waitFor } from './harness.js';
import { patSnippet } from './stack-config.js';

const hasDocker = await requireDocker();
const s = new PlatformStack();
const rails = (ruby: string) => docker(['exec', s.gitlab, 'gitlab-rails', 'runner', ruby], { reject: false });
let dev: { id: number; token: string; password: string };

beforeAll(async () => {
  if (!hasDocker) return;
  await s.start();
  dev = await s.user('dev');
  const project = await s.api('/projects', { method: 'POST', body: { name: 'demo', visibility: 'private' } });
  if (project.status !== 201) throw new Error(`POST /projects: ${project.status} ${project.text}`);
}, 240_000);

afterAll(async () => {
  if (hasDocker) await s.res.cleanup();
});

describe.skipIf(!hasDocker)('gitlab double: release and reconfigure', () => {
  it('reports GitLab 19.4.1 in the API, the image and the start banner', async () => {
    expect((await s.api('/version')).json).toMatchObject({ version: '19.4.1', enterprise: false });
    expect((await docker(['exec', s.gitlab, 'cat', '/RELEASE'])).stdout).toContain('RELEASE_VERSION=19.4.1-ce.0');
    expect((await docker(['exec', s.gitlab, 'cat', '/var/opt/gitlab/gitlab-rails/VERSION'])).stdout.trim()).toBe('19.4.1');
    expect(await logsOf(s.gitlab)).toContain('Current version: gitlab-ce=19.4.1-ce.0');
  });

  it('fails the start on a Ruby syntax error, with reconfigure’s output and exit code 1', async () => {
    const r = await s.reconfigure("external_url 'http://x.test'\ngitaly['configuration'] = {\n  concurrency: [");
    expect(r.exitCode).toBe(1);
    expect(r.logs).toContain('There was an error running gitlab-ctl reconfigure:');
    expect(r.logs).toMatch(/FATAL: SyntaxError: .*syntax error/);
    expect(r.logs).not.toContain('nginx: listening');
  });

  it('refuses unknown top-level names as mixlib-config does, and names the release does not have', async () => {
    const cases: [string, string][] = [
      ["grafana['enable'] = false", 'FATAL: Mixlib::Config::UnknownConfigOptionError: Reading unsupported config value grafana.'],
      ["registry_external 'https://r.test'", 'Cannot set unsupported config value registry_external.'],
      ["gitlab_rails['monitoring_whitelst'] = []", "gitlab_rails['monitoring_whitelst'] is not a setting of GitLab 19.4"],
      ["gitlab_rails['nginx'] = { 'listen_port' => 80, 'listen_prot' => 81 }", "gitlab_rails['nginx']['listen_prot'] is not a setting"],
    ];
    for (const [config, message] of cases) {
      const r = await s.reconfigure(config);
      expect(r.exitCode, config).toBe(1);
      expect(r.logs, config).toContain(message);
    }
  });

  it('runs the parse checks of Omnibus on URLs and the initial root password', async () => {
    const cases: [string, string][] = [
      ["external_url 'gitlab.test'", 'GitLab external URL must include a schema and FQDN, e.g. http://gitlab.example.com/'],
      ["registry_external_url 'ftp://r.test'", 'Unsupported GitLab Registry external URL scheme: ftp'],
      ["gitlab_rails['initial_root_password'] = 'short'", 'initial_root_password: Length is too short, minimum is 8 characters'],
    ];
    for (const [config, message] of cases) {
      const r = await s.reconfigure(config);
      expect(r.exitCode, config).toBe(1);
      expect(r.logs, config).toContain(`There was an error running gitlab-ctl reconfigure:\n\n${message}`);
    }
  });

  it('serves what Ruby computed, takes the deprecated nginx[] spelling, and gitlab-healthcheck follows', async () => {
    const config = "external_url 'http://calc.test'\nport = 8000 + 81\nnginx['listen_port'] = port";
    const r = await s.reconfigure(config);
    expect(r.exitCode, r.logs).toBeNull(); // still running: reconfigure passed
    expect(r.logs).toContain("nginx['listen_port'] has been deprecated. Please use gitlab_rails['nginx']['listen_port'] instead.");
    expect(r.logs).toContain('nginx: listening on :8081 for http://calc.test');
    // The main stack: its allowlist is `loopback + ["#{ip}/32"]`, which only Ruby evaluates.
    expect(await s.fromClient(`https://gitlab.${s.dom}/-/readiness`)).toBe(200);
    const hc = await docker([
      'exec',
      s.gitlab,
      'gitlab-healthcheck',
      '--fail',
      '--max-time',
      '10',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{url}',
    ]);
    expect(hc.stdout).toBe('http://localhost:80/help');
  });
});

describe.skipIf(!hasDocker)('gitlab double: the client address behind the proxy', () => {
  it('admits the allowlisted client through Traefik (a trusted proxy) and directly', async () => {
    expect(await s.fromClient(`https://gitlab.${s.dom}/-/readiness`)).toBe(200);
    expect(await s.fromClient(`http://${s.ip}/-/liveness`)).toBe(200);
  });

  it('judges an untrusted peer by its own address, whatever it forwards', async () => {
    // This machine reaches GitLab from the network's gateway, a private address that is not a trusted proxy.
    for (const header of ['X-Forwarded-For', 'X-Real-IP'])
      expect((await s.fetch('/-/readiness', { headers: { [header]: s.clientIp } })).status, header).toBe(404);
    expect((await s.fetch('/-/readiness', { headers: { 'X-Forwarded-For': '127.0.0.1' } })).status).toBe(404);
    // Through Traefik the forged header is replaced by the real peer, the gateway.
    expect((await s.viaProxy('/-/readiness', { 'X-Forwarded-For': s.clientIp })).status).toBe(404);
  });
});

describe.skipIf(!hasDocker)('gitlab double: runners', () => {
  it('counts /runners/verify and /jobs/request as contact, with one manager per system_id', async () => {
    const created = await s.api('/user/runners', { method: 'POST', body: { runner_type: 'instance_type', tag_list: 'lab' } });
    expect(created.status).toBe(201);
    const { id, token } = created.json as { id: number; token: string };
    expect(token).toMatch(/^glrt-t1_/);
    expect((await s.api(`/runners/${id}`)).json).toMatchObject({ status: 'never_contacted', contacted_at: null });

    const verified = await s.api('/runners/verify', { method: 'POST', body: { token } });
    expect(verified.json).toEqual({ id, token, token_expires_at: null });
    const managers = (await s.api(`/runners/${id}/managers`)).json as Record<string, unknown>[];
    expect(managers).toEqual([expect.objectContaining({ system_id: '<legacy>', ip_address: s.gateway, status: 'online' })]);
    expect((await s.api(`/runners/${id}`)).json).toMatchObject({ status: 'online', online: true, ip_address: null, version: null });

    const info = { name: 'poller', version: '19.4.1', revision: 'abcdef', platform: 'linux', architecture: 'amd64', executor: 'docker' };
    const poll = await s.api('/jobs/request', { method: 'POST', token: undefined, body: { token, system_id: 's_0123456789ab', info } });
    expect(poll.status).toBe(204);
    const after = (await s.api(`/runners/${id}/managers`)).json as Record<string, unknown>[];
    expect(after.map((m) => m.system_id).sort()).toEqual(['<legacy>', 's_0123456789ab']);
    expect((await s.api(`/runners/${id}`)).json).toMatchObject({ version: '19.4.1', platform: 'linux', name: null });

    const gone = { method: 'DELETE', body: { token, system_id: 's_0123456789ab' } };
    expect((await s.api('/runners/managers', gone)).status).toBe(204);
    expect((await s.api('/runners/managers', gone)).json).toEqual({ message: '404 Runner manager not found Not Found' });
    expect((await s.api('/runners/verify', { method: 'POST', body: { token: 'glrt-t1_forged' } })).json).toEqual({
      message: '403 Forbidden',
    });
    expect((await s.api('/runners', { method: 'DELETE', body: { token } })).status).toBe(204);
    expect((await s.api('/runners/verify', { method: 'POST', body: { token } })).status).toBe(403);
  });

  it('words creation errors as the runner creation service does', async () => {
    const create = (body: unknown, token?: string) => s.api('/user/runners', { method: 'POST', body, ...(token ? { token } : {}) });
    expect((await create({ runner_type: 'instance_type' }, dev.token)).json).toEqual({
      message: '403 Forbidden - Insufficient permissions',
    });
    expect((await create({ runner_type: 'instance_type', run_untagged: false })).json).toEqual({
      message: '400 Bad request - Tags list can not be empty when runner is not allowed to pick untagged jobs',
    });
    expect((await create({ runner_type: 'group_type', group_id: 999999 })).json).toEqual({
      message: '400 Bad request - Missing/invalid group',
    });
  });
});

describe.skipIf(!hasDocker)('gitlab double: registry token auth, with a real Docker daemon', () => {
  it('challenges anonymous clients for a token from <external_url>/jwt/auth', async () => {
    const r = await s.fromClient(`https://registry.${s.dom}/v2/`);
    expect(r).toBe(401);
    const token = await s.fetch('/jwt/auth?service=container_registry&scope=repository:root/demo/app:pull,push', {
      headers: { Authorization: `Basic ${Buffer.from(`root:${ROOT_PASSWORD}`).toString('base64')}` },
    });
    const { header, payload } = decodeJwt(token.json.token as string);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: expect.stringMatching(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/) });
    expect(payload).toMatchObject({ iss: 'omnibus-gitlab-issuer', aud: 'container_registry', sub: 'root', auth_type: 'gitlab_or_ldap' });
    expect(payload.access).toEqual([
      {
        type: 'repository',
        name: 'root/demo/app',
        actions: ['pull', 'push'],
        meta: expect.objectContaining({ project_path: 'root/demo' }),
      },
    ]);
    expect(Number(payload.exp) - Number(payload.iat)).toBe(300);
    expect(Number(payload.iat) - Number(payload.nbf)).toBe(5);
    expect((await s.fetch('/jwt/auth?service=container_registry&scope=repository:root/demo/app:pull')).json).toEqual({
      errors: [{ code: 'DENIED', message: 'access forbidden' }],
    });
    // A personal access token with any username; its scopes decide (read_user gives no registry ability).
    const basic = (user: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` });
    const byPat = await s.fetch('/jwt/auth?service=container_registry&scope=repository:root/demo/app:push', {
      headers: basic('anyone', s.adminToken),
    });
    expect(decodeJwt(byPat.json.token).payload).toMatchObject({
      sub: 'root',
      auth_type: 'personal_access_token',
      access: [expect.objectContaining({ actions: ['push'] })],
    });
    const reader = await s.user('reader', ['read_user']);
    const noAbility = await s.fetch('/jwt/auth?service=container_registry', { headers: basic('reader', reader.token) });
    expect(noAbility.status).toBe(403);
    expect((await s.fetch('/jwt/auth?service=no_such_service', { headers: basic('root', ROOT_PASSWORD) })).status).toBe(404);
  });

  it('logs in, pushes and pulls through the proxy; refuses bad passwords, anonymous and foreign pushes', async () => {
    const cli = await startDaemon(s);
    const registry = `registry.${s.dom}`;
    const image = `${registry}/root/demo/app:1`;
    const login = (user: string, password: string) =>
      docker(['exec', '-i', `${s.stack.name}-dind`, 'docker', 'login', registry, '-u', user, '--password-stdin'], {
        reject: false,
        input: password,
      });
    const bad = await login('root', 'not-the-password');
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toContain('unauthorized: HTTP Basic: Access denied');
    expect((await login('root', ROOT_PASSWORD)).stdout).toContain('Login Succeeded');
    const imported = await docker(
      ['exec', `${s.stack.name}-dind`, 'sh', '-c', `echo hi > /tmp/f && tar -C /tmp -c f | docker import - ${image}`],
      { reject: false },
    );
    expect(imported.exitCode, imported.stderr).toBe(0);
    const push = await cli('push', image);
    expect(push.exitCode, push.stderr).toBe(0);
    expect(push.stdout).toMatch(/digest: sha256:[0-9a-f]{64}/);
    expect((await cli('rmi', image)).exitCode).toBe(0);
    expect((await cli('pull', image)).exitCode).toBe(0);

    await cli('logout', registry);
    const anonymous = await cli('push', image);
    expect(anonymous.exitCode).not.toBe(0);
    expect(anonymous.stderr).toContain('denied: access forbidden');
    expect((await login('dev', dev.password)).exitCode).toBe(0);
    await cli('tag', image, `${registry}/root/demo/app:2`);
    const foreign = await cli('push', `${registry}/root/demo/app:2`);
    expect(foreign.exitCode).not.toBe(0);
    expect(foreign.stderr).toContain('denied: requested access to the resource is denied');
  });
});

describe.skipIf(!hasDocker)('gitlab double: SSH with the real sshd and gitlab-shell', () => {
  it('takes keys over the API, checked with ssh-keygen', async () => {
    const root = await sshIdentity(s, 'root');
    const added = await s.api('/user/keys', { method: 'POST', body: { title: 'root laptop', key: root.pub } });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ title: 'root laptop', key: root.pub, usage_type: 'auth_and_signing', expires_at: null });
    expect((await s.api('/user/keys', { method: 'POST', body: { title: 'again', key: root.pub } })).json).toEqual({
      message: { fingerprint_sha256: ['has already been taken'] },
    });
    const garbage = await s.api('/user/keys', { method: 'POST', body: { title: 'x', key: 'ssh-ed25519 not-a-key' } });
    expect(garbage.status).toBe(400);
    expect(garbage.json.message.fingerprint_sha256).toEqual(['cannot be generated']);
    expect((await s.api('/user/keys', { method: 'POST', body: { key: root.pub } })).json).toEqual({ error: 'title is missing' });
    expect(((await s.api('/user/keys')).json as { id: number }[]).map((k) => k.id)).toEqual([added.json.id]);
    const other = await sshIdentity(s, 'other');
    expect((await s.api(`/users/${dev.id}/keys`, { method: 'POST', token: dev.token, body: { title: 'x', key: other.pub } })).status).toBe(
      403,
    );
    const temp = await s.api(`/users/${dev.id}/keys`, { method: 'POST', body: { title: 'temp', key: other.pub } });
    expect(temp.status).toBe(201);
    expect((await s.api(`/users/${dev.id}/keys/${temp.json.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('greets, clones and pushes over SSH; refuses other keys and projects the key cannot see', async () => {
    const root = await sshIdentity(s, 'root2');
    const devKey = await sshIdentity(s, 'dev');
    const stranger = await sshIdentity(s, 'stranger');
    expect((await s.api('/user/keys', { method: 'POST', body: { title: 'k', key: root.pub } })).status).toBe(201);
    expect((await s.api(`/users/${dev.id}/keys`, { method: 'POST', body: { title: 'k', key: devKey.pub } })).status).toBe(201);

    expect((await root.ssh()).stdout).toBe('Welcome to GitLab, @root!');
    const work = await tempDir('lab-platform-git-');
    expect((await root.git(['clone', root.url('root/demo.git'), join(work, 'a')])).exitCode).toBe(0);
    expect((await root.git(['commit', '--allow-empty', '-m', 'over ssh'], join(work, 'a'))).exitCode).toBe(0);
    const push = await root.git(['push', 'origin', 'HEAD:main'], join(work, 'a'));
    expect(push.exitCode, push.stderr).toBe(0);
    expect((await root.git(['clone', root.url('root/demo.git'), join(work, 'b')])).exitCode).toBe(0);
    expect((await root.git(['log', '--format=%s'], join(work, 'b'))).stdout).toBe('over ssh');

    const denied = await devKey.git(['clone', devKey.url('root/demo.git'), join(work, 'c')]);
    expect(denied.exitCode).not.toBe(0);
    expect(denied.stderr).toContain("remote: The project you were looking for could not be found or you don't have permission to view it.");
    const unknown = await stranger.ssh();
    expect(unknown.exitCode).toBe(255);
    expect(unknown.stderr).toContain('Permission denied (publickey)');
    expect((await root.ssh('ls')).stderr).toContain('Disallowed command');
  });
});

describe.skipIf(!hasDocker)('gitlab double: what lab relies on', () => {
  it('accepts the documented PAT snippet, and fails it like Ruby for a missing user', async () => {
    expect((await s.api('/personal_access_tokens/self')).json).toMatchObject({
      scopes: ['api', 'create_runner'],
      active: true,
      user_id: 1,
    });
    expect((await s.api('/personal_access_tokens/self', { token: 'not-a-token' })).json).toEqual({ message: '401 Unauthorized' });
    const r = await rails(patSnippet('ghost', 'whatever-token-123'));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain("undefined method 'personal_access_tokens' for nil");
  });

  it('rejects expired and revoked tokens with 401', async () => {
    const expiring = `exp-${s.stack.name}-token-0001`;
    expect((await rails(patSnippet('root', expiring, 0))).exitCode).toBe(0);
    expect((await s.api('/personal_access_tokens/self', { token: expiring })).json).toMatchObject({
      error_description: 'Token has expired.',
    });
    const revoking = `rev-${s.stack.name}-token-0002`;
    expect((await rails(patSnippet('root', revoking))).exitCode).toBe(0);
    expect((await rails(`PersonalAccessToken.find_by_token('${revoking}').revoke!`)).exitCode).toBe(0);
    expect((await s.api('/personal_access_tokens/self', { token: revoking })).json).toMatchObject({
      error_description: 'Token has been revoked.',
    });
  });

  it('keeps users, tokens, SSH host keys and the registry key across container re-creation', async () => {
    const kid = async () =>
      decodeJwt(
        (
          await s.fetch('/jwt/auth?service=container_registry', {
            headers: { Authorization: `Basic ${Buffer.from(`root:${ROOT_PASSWORD}`).toString('base64')}` },
          })
        ).json.token,
      ).header.kid;
    const hostKey = async () => (await docker(['exec', s.gitlab, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub'])).stdout;
    const before = { kid: await kid(), hostKey: await hostKey() };
    await s.runGitlab({ FIXTURE_READY_AFTER_MS: '0' });
    expect((await s.api('/personal_access_tokens/self')).status).toBe(200);
    expect({ kid: await kid(), hostKey: await hostKey() }).toEqual(before);
  });

  it('is never ready with FIXTURE_READY_AFTER_MS=-1, and refuses a weak root password', async () => {
    const name = `${s.stack.name}-weak`;
    const env = ['-e', 'GITLAB_ROOT_PASSWORD=password123', '-e', 'FIXTURE_READY_AFTER_MS=-1'];
    await s.res.run(name, [...runLabelArgs(), '--network', s.net, ...env, 'lab-fixture/gitlab']);
    await waitFor('the weak GitLab to log', async () => ((await logsOf(name)).includes('NOT created') ? true : undefined), 60_000);
    const hc = await docker(['exec', name, 'gitlab-healthcheck', '--fail', '--max-time', '5', '-s'], { reject: false });
    expect(hc.exitCode).toBe(22); // curl: the server answered 502
    expect(
      (await docker(['exec', name, 'gitlab-rails', 'runner', patSnippet('root', 'never-created-token-1')], { reject: false })).stderr,
    ).toContain('for nil');
  });
});
