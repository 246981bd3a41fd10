import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, withRunLabel } from '../helpers/docker.js';
import { doctorJson, statuses } from '../helpers/doctor.js';
import { createAdminToken, type FixtureLab, fixtureLab, fixtureSuite, gitlabApi } from '../helpers/fixture-lab.js';
import { tempDir } from '../helpers/tmp.js';
import { snapshotTree } from '../helpers/tree.js';

/**
 * The proof of issue 6: the host's real Docker daemon pushes an image to the lab
 * registry (Debian's docker-registry inside the GitLab fixture) through Traefik, and
 * pulls it back, trusting the lab CA through /etc/docker/certs.d only.
 *
 * The registry name must point at a non-loopback address: dockerd treats registries on
 * 127.0.0.0/8 as insecure and skips TLS verification for them (shown below), so the
 * names go to the proxy's container IP (`lab hosts --write --target proxy`). Traefik
 * listens on the published https port inside the network too, so the registry is
 * `registry.<domain>:<https port>` both ways, and that is also the certs.d folder name.
 *
 * SERIAL: this file edits /etc/hosts and /etc/docker; run it alone (see the *.serial suffix).
 */

const HOSTS = '/etc/hosts';
const DOCKER_ETC = '/etc/docker';
const linuxRoot = process.platform === 'linux' && process.getuid?.() === 0;
const run = await fixtureSuite({ when: linuxRoot });

async function imageFacts(ref: string): Promise<{ id: string; digests: string[] } | undefined> {
  const r = await docker(['image', 'inspect', ref], { reject: false });
  if (r.exitCode !== 0) return undefined;
  const [info] = JSON.parse(r.stdout) as { Id: string; RepoDigests: string[] | null }[];
  return info ? { id: info.Id, digests: info.RepoDigests ?? [] } : undefined;
}

/**
 * dockerd resolves names with Go's resolver, which re-reads /etc/hosts at most every 5 s
 * (net/hosts.go, cacheMaxAge). After an edit, wait that out so the daemon sees the new mapping.
 */
const daemonSeesHosts = () => new Promise((resolve) => setTimeout(resolve, 6000));

describe.runIf(run)('registry e2e: docker push and pull through the proxy, trusted by certs.d', () => {
  let lab: FixtureLab;
  let hostsBefore: Buffer;
  let dockerBefore: string;
  let certsDBefore = true;
  let registry: string;
  let image: string;
  let pushedDigest = '';
  let builtId = '';

  const push = () => execa('docker', ['push', image], { reject: false, all: true, timeout: 120_000 });

  beforeAll(async () => {
    hostsBefore = await readFile(HOSTS);
    dockerBefore = await snapshotTree(DOCKER_ETC);
    certsDBefore = existsSync(join(DOCKER_ETC, 'certs.d'));
    lab = await fixtureLab(tempDir, { prefix: 'rg', uniqueDomain: true });
    registry = `${lab.hosts.registry}:${lab.ports.https}`;
    image = `${registry}/root/demo:1`;
    const up = await lab.up();
    expect(up.exitCode, up.all).toBe(0);
    // The registry takes pushes only into a project the pusher may write to, as GitLab's does.
    const token = await createAdminToken(lab);
    const project = await gitlabApi(lab, 'POST', '/projects', { token, json: { name: 'demo', visibility: 'private' } });
    expect(project.status).toBe(201);

    // A tiny image of our own: one file with unique content, so its digest is new to the registry.
    const context = await tempDir('lab-e2e-image-');
    await writeFile(join(context, 'hello.txt'), `hello from ${lab.name} ${randomBytes(8).toString('hex')}\n`);
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    // The legacy builder: nothing to pull, no BuildKit needed.
    const built = await execa('docker', withRunLabel(['build', '-q', '-t', image, context]), {
      env: { DOCKER_BUILDKIT: '0' },
      reject: false,
    });
    expect(built.exitCode, built.stderr).toBe(0);
    builtId = (await imageFacts(image))?.id ?? '';
    expect(builtId).toMatch(/^sha256:/);
  });

  afterAll(async () => {
    // Undo in the order that leaves the least behind, whatever failed above.
    if (registry) await execa('docker', ['logout', registry], { reject: false });
    if (lab) {
      await lab.lab(['trust', '--uninstall']);
      await lab.lab(['hosts', '--remove']);
      await docker(['rmi', '-f', image], { reject: false });
      await lab.lab(['destroy', '--yes']);
      await lab.purge();
    }
    if (hostsBefore && !(await readFile(HOSTS)).equals(hostsBefore)) await writeFile(HOSTS, hostsBefore);
    const stray = join(DOCKER_ETC, 'certs.d', registry ?? 'none');
    if (registry && existsSync(stray)) await rm(stray, { recursive: true, force: true });
    // certs.d itself, when lab trust created it and nothing else was put there since.
    if (!certsDBefore) await rmdir(join(DOCKER_ETC, 'certs.d')).catch(() => undefined);
  });

  it('lab hosts --write --target proxy: the registry name resolves to the proxy, and doctor says so', async () => {
    const w = await lab.lab(['hosts', '--write', '--target', 'proxy']);
    expect(w.exitCode, w.all).toBe(0);
    await daemonSeesHosts();
    const resolved = await execa('getent', ['hosts', lab.hosts.registry]);
    expect(resolved.stdout.split(/\s+/)[0]).toBe(lab.stack.proxyIp);
    const d = await doctorJson(lab.dir);
    expect(d.check('dns.registry'), statuses(d.report)).toMatchObject({
      status: 'ok',
      detail: `${lab.hosts.registry} → ${lab.stack.proxyIp} (the proxy)`,
    });
    expect(d.check('dns.gitlab').status).toBe('ok');
  });

  it('negative control: without trust the push fails with x509: certificate signed by unknown authority', async () => {
    expect(existsSync(join(DOCKER_ETC, 'certs.d', registry))).toBe(false);
    const r = await push();
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toContain('x509: certificate signed by unknown authority');
    const d = await doctorJson(lab.dir);
    expect(d.check('trust.docker').status).toBe('warn');
    expect(d.check('trust.docker').fix).toContain('trust --docker');
  });

  it('after lab trust --docker the push succeeds; removed locally, the image pulls back identical', async () => {
    const t = await lab.lab(['trust', '--docker']);
    expect(t.exitCode, t.all).toBe(0);
    const caFile = join(DOCKER_ETC, 'certs.d', registry, 'ca.crt');
    expect(await readFile(caFile)).toEqual(await readFile(join(lab.dir, 'certs', 'ca', 'rootCA.pem')));

    // Anonymous pushes are refused by the registry's token auth; log in as root.
    const anonymous = await push();
    expect(anonymous.exitCode).not.toBe(0);
    expect(anonymous.all).toMatch(/denied|unauthorized|authentication required/i);
    const password = /GITLAB_ROOT_PASSWORD=(.*)/.exec(await readFile(join(lab.dir, '.lab', 'secrets', 'gitlab.env'), 'utf8'))?.[1] ?? '';
    const login = await execa('docker', ['login', registry, '--username', 'root', '--password-stdin'], {
      input: password,
      reject: false,
      all: true,
    });
    expect(login.exitCode, login.all).toBe(0);

    const r = await push();
    expect(r.exitCode, r.all).toBe(0);
    pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(r.all)?.[1] ?? '';
    expect(pushedDigest).not.toBe('');

    const rmi = await docker(['rmi', image], { reject: false });
    expect(rmi.exitCode, rmi.stderr).toBe(0);
    expect(await imageFacts(image)).toBeUndefined();

    const pull = await execa('docker', ['pull', image], { reject: false, all: true, timeout: 120_000 });
    expect(pull.exitCode, pull.all).toBe(0);
    expect(pull.all).toContain(`Digest: ${pushedDigest}`);
    const facts = await imageFacts(image);
    expect(facts?.id).toBe(builtId);
    expect(facts?.digests).toContain(`${registry}/root/demo@${pushedDigest}`);

    const d = await doctorJson(lab.dir);
    expect(d.check('trust.docker'), statuses(d.report)).toMatchObject({ status: 'ok', fix: null });
    expect(d.check('trust.docker').detail).toContain(caFile);
  });

  it('the 127.0.0.0/8 trap: with the registry name on loopback, dockerd skips verification, and doctor warns', async () => {
    // Take the daemon's trust away again, then point the names at 127.0.0.1.
    const u = await lab.lab(['trust', '--uninstall']);
    expect(u.exitCode, u.all).toBe(0);
    expect(existsSync(join(DOCKER_ETC, 'certs.d', registry))).toBe(false);
    const w = await lab.lab(['hosts', '--write']);
    expect(w.exitCode, w.all).toBe(0);
    expect((await execa('getent', ['hosts', lab.hosts.registry])).stdout).toMatch(/^127\.0\.0\.1\s/);
    await daemonSeesHosts();

    // Nothing trusts the lab CA now, and still the push goes through: the daemon did not verify.
    const r = await push();
    expect(r.exitCode, r.all).toBe(0);

    const d = await doctorJson(lab.dir);
    const dns = d.check('dns.registry');
    expect(dns.status, statuses(d.report)).toBe('warn');
    expect(dns.detail).toContain(`${lab.hosts.registry} maps to 127.0.0.1`);
    expect(dns.detail).toMatch(/127\.0\.0\.0\/8 .*skips TLS verification/);
    expect(dns.fix).toContain(`hosts --write --target proxy`);
    // The other names on loopback are fine: they reach the published ports.
    expect(d.check('dns.gitlab')).toMatchObject({ status: 'ok', detail: `${lab.hosts.gitlab} → 127.0.0.1 (the published ports)` });
  });

  it('lab trust --uninstall and lab hosts --remove: /etc/hosts and /etc/docker end byte-identical', async () => {
    const t = await lab.lab(['trust', '--uninstall']);
    expect(t.exitCode, t.all).toBe(0);
    const h = await lab.lab(['hosts', '--remove']);
    expect(h.exitCode, h.all).toBe(0);
    expect((await readFile(HOSTS)).equals(hostsBefore), 'the hosts file has its original bytes').toBe(true);
    expect(await snapshotTree(DOCKER_ETC)).toBe(dockerBefore);
  });
});
