import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLab } from '../helpers/cli.js';
import { docker } from '../helpers/docker.js';
import { doctorJson, statuses } from '../helpers/doctor.js';
import {
  createAdminToken,
  createRunner,
  FIXTURE_IMAGES,
  type FixtureLab,
  fixtureLab,
  fixtureSuite,
  pollAsRunner,
  writeBootstrapSecrets,
} from '../helpers/fixture-lab.js';
import { tempDir } from '../helpers/tmp.js';

const run = await fixtureSuite();

/**
 * `lab doctor --json` against real fixture stacks on the real engine: a healthy one, and
 * broken ones (engine unreachable, a port taken, GitLab down, a silent runner). Nothing
 * here changes the machine outside the engine and temp folders, so it can run in parallel.
 */
describe.runIf(run)('lab doctor on the fixture stack', () => {
  let lab: FixtureLab;
  const others: FixtureLab[] = [];
  const containers: string[] = [];
  let holder: Server | undefined;

  beforeAll(async () => {
    lab = await fixtureLab(tempDir, { prefix: 'dr', uniqueDomain: true });
    const up = await lab.up();
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
    if (containers.length > 0) await docker(['rm', '-f', ...containers], { reject: false });
    for (const l of [lab, ...others]) await l?.purge();
  });

  it('healthy: engine, ports, certificates and readiness ok; untrusted CA and no runner are warnings; exit 0', async () => {
    const d = await doctorJson(lab.dir);
    const all = statuses(d.report);
    expect(d.check('engine').status, all).toBe('ok');
    expect(d.check('engine').detail).toMatch(/^Docker Engine \S+, API 1\.\d+, .* at unix:\/\/\/var\/run\/docker\.sock$/);
    expect(d.check('ports').status, all).toBe('ok');
    expect(d.check('ports').detail).toContain(`${lab.ports.https} (ports.https) is this lab's (${lab.name}-traefik-1)`);
    // Git over SSH is Traefik's too: its TCP entry point publishes ports.ssh.
    expect(d.check('ports').detail).toContain(`${lab.ports.ssh} (ports.ssh) is this lab's (${lab.name}-traefik-1)`);
    expect(d.check('memory').status).not.toBe('fail');
    expect(d.check('certs.ca').status).toBe('ok');
    expect(d.check('certs.leaf').status).toBe('ok');
    expect(d.check('gitlab.ready')).toMatchObject({ status: 'ok', detail: '/-/readiness answered 200 inside the container' });
    expect(d.check('gitlab.route')).toMatchObject({
      status: 'ok',
      detail: `https://${lab.hosts.gitlab}:${lab.ports.https}/api/v4/version answered 401 from GitLab`,
    });
    // Socket mode: the engine host's daemon neither resolves the lab names nor trusts the CA yet.
    expect(d.check('runner.build').status).toBe('warn');
    expect(d.check('runner.build').detail).toContain("jobs build and push through the engine host's daemon");
    expect(d.check('runner.build').fix).toContain(`lab --dir ${lab.dir} hosts --write`);
    expect(d.check('runner.build').fix).toContain(`lab --dir ${lab.dir} trust --docker`);
    // Nobody trusts this lab's brand-new CA yet: a warning with the command that fixes it.
    expect(d.check('trust.system').status).toBe('warn');
    expect(d.check('trust.system').detail).toMatch(/SSL certificate problem|unable to get local issuer/);
    expect(d.check('trust.system').fix).toBe(`Run \`lab --dir ${lab.dir} trust --system\`.`);
    expect(d.check('trust.docker').status).toBe('warn');
    expect(d.check('trust.docker').fix).toContain(`lab --dir ${lab.dir} trust --docker`);
    // The unique domain is in no hosts file and no DNS.
    for (const id of ['dns.gitlab', 'dns.registry', 'dns.traefik']) {
      expect(d.check(id).status).toBe('warn');
      expect(d.check(id).detail).toMatch(/does not resolve/);
      expect(d.check(id).fix).toContain('hosts --write --target proxy');
    }
    expect(d.check('runner.contact').status).toBe('warn');
    expect(d.check('runner.contact').fix).toContain(`lab --dir ${lab.dir} up`);
    expect(d.report.summary.fail, all).toBe(0);
    expect(d.run.exitCode).toBe(0);
  });

  it('engine unreachable: the engine check fails with a hint, engine-dependent checks are skipped, exit 1', async () => {
    for (const host of ['unix:///nonexistent.sock', 'tcp://127.0.0.1:1']) {
      const d = await doctorJson(lab.dir, { DOCKER_HOST: host }, 30_000);
      expect(d.check('engine').status, host).toBe('fail');
      expect(d.check('engine').detail).toContain(host);
      expect(d.check('engine').detail).toMatch(/socket does not exist|connection refused/);
      expect(d.check('engine').fix).toMatch(/DOCKER_HOST/);
      expect(d.check('ports').status).toBe('skip');
      expect(d.check('memory').status).toBe('skip');
      // The proxy's published port is not the engine API: GitLab is still reachable.
      expect(d.check('gitlab.route').status).toBe('ok');
      expect(d.run.exitCode).toBe(1);
    }
  });

  it('runner: registered but silent fails, its own poll proves contact; no secret is ever printed', async () => {
    const admin = await createAdminToken(lab);
    const runner = await createRunner(lab, admin);
    await writeBootstrapSecrets(lab, admin, runner);
    const silent = await doctorJson(lab.dir);
    expect(silent.check('runner.contact')).toMatchObject({ status: 'fail', detail: `runner ${runner.id} has never contacted GitLab` });
    expect(silent.check('runner.contact').fix).toContain('logs runner');
    expect(silent.run.exitCode).toBe(1);

    expect(await pollAsRunner(lab, runner.token)).toBe(204);
    const online = await doctorJson(lab.dir);
    expect(online.check('runner.contact').status).toBe('ok');
    expect(online.check('runner.contact').detail).toMatch(new RegExp(`^runner ${runner.id} contacted GitLab \\d+ s ago$`));
    expect(online.run.exitCode, statuses(online.report)).toBe(0);

    const text = await runLab(['--dir', lab.dir, 'doctor']);
    for (const output of [silent.run.all, online.run.all, text.all]) {
      // Booleans only, so a failure does not print the secret it found.
      expect(output.includes(admin), 'the admin token is printed').toBe(false);
      expect(output.includes(runner.token), 'the runner token is printed').toBe(false);
      expect(/glpat-|glrt-/.test(output), 'a token prefix is printed').toBe(false);
    }
  });

  it('a lab port published by another container: ports fail and name it, exit 1', async () => {
    const other = await fixtureLab(tempDir, { prefix: 'dp', uniqueDomain: true });
    others.push(other);
    const name = `${other.name}-squatter`;
    containers.push(name);
    await docker(['run', '-d', '--name', name, '-p', `${other.ports.http}:8080`, FIXTURE_IMAGES.busybox, 'sleep', '3600']);
    const d = await doctorJson(other.dir);
    expect(d.check('ports').status).toBe('fail');
    expect(d.check('ports').detail).toContain(`${other.ports.http} (ports.http) is taken by container ${name}`);
    expect(d.check('ports').detail).toContain(`${other.ports.https} (ports.https) is free`);
    expect(d.check('ports').fix).toMatch(/choose another port in lab\.yml, e\.g\. `ports: \{ http: \d+ \}`/);
    expect(d.run.exitCode).toBe(1);
  });

  it('a lab port held by a program before `lab up`: up fails, doctor names the program', async () => {
    const other = await fixtureLab(tempDir, { prefix: 'dq', uniqueDomain: true });
    others.push(other);
    holder = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder?.listen(other.ports.https, '0.0.0.0', () => resolve()));
    const up = await other.up();
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toMatch(new RegExp(`port ${other.ports.https} \\(ports\\.https\\) is already taken`));
    const d = await doctorJson(other.dir);
    expect(d.check('ports').status).toBe('fail');
    expect(d.check('ports').detail).toContain(`${other.ports.https} (ports.https) is taken by process node (pid ${process.pid})`);
    expect(d.check('ports').fix).toMatch(/ports: \{ https: \d+ \}/);
    expect(d.run.exitCode).toBe(1);
  });

  it('GitLab stopped: both GitLab checks fail and the runner check is skipped', async () => {
    await docker(['stop', '-t', '1', `${lab.name}-gitlab-1`]);
    const d = await doctorJson(lab.dir);
    expect(d.check('gitlab.ready')).toMatchObject({ status: 'fail', detail: "GitLab's container is exited" });
    expect(d.check('gitlab.route').status).toBe('fail');
    expect(d.check('gitlab.route').detail).toMatch(/answered 50[234]: GitLab is starting, or the proxy cannot reach it/);
    expect(d.check('gitlab.route').fix).toContain(`lab --dir ${lab.dir} status`);
    expect(d.check('runner.contact').status).toBe('skip');
    expect(d.run.exitCode).toBe(1);
  });
});
