import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextId } from '../../src/engine/endpoint.js';
import { runLab } from '../helpers/cli.js';
import { docker, exists, inspectContainer } from '../helpers/docker.js';
import { FIXTURE_IMAGES, type FixtureLab, fixtureLab, fixtureSuite } from '../helpers/fixture-lab.js';
import { tempDir } from '../helpers/tmp.js';
import { requireTool } from '../helpers/tools.js';

const run = await fixtureSuite();

const READY_AFTER_MS = 1500;

describe.runIf(run)('lab up / status / down / destroy on the fixture stack', () => {
  let lab: FixtureLab;
  let name: string;
  const foreign = { container: '', network: '', volume: '' };
  const names = (service: string) => `${name}-${service}-1`;
  const up = (args: string[] = []) => runLab(['up', '--skip-runner', '--pull', 'never', '--timeout', '60s', ...args], { cwd: lab.dir });

  beforeAll(async () => {
    lab = await fixtureLab(tempDir, { prefix: 'e', readyAfterMs: READY_AFTER_MS });
    name = lab.stack.name;
    // Look-alikes that lab must never touch: no lab labels (the container even carries
    // compose's project label, which is not proof of ownership).
    foreign.volume = `${name}-gitlab-data-backup`;
    foreign.network = `${name}-net-other`;
    foreign.container = `${name}-gitlab-1-copy`;
    await docker(['volume', 'create', foreign.volume]);
    await docker(['network', 'create', foreign.network]);
    await docker([
      'run',
      '-d',
      '--name',
      foreign.container,
      '--label',
      `com.docker.compose.project=${name}`,
      '-v',
      `${foreign.volume}:/data`,
      FIXTURE_IMAGES.busybox,
      'sleep',
      '3600',
    ]);
  });

  afterAll(async () => {
    await lab?.purge();
    await docker(['rm', '-f', foreign.container], { reject: false });
    await docker(['network', 'rm', foreign.network], { reject: false });
    await docker(['volume', 'rm', '-f', foreign.volume], { reject: false });
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    const r = await up(['--dry-run']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`network\\s+${name}-net\\s+create`));
    expect(r.stdout).toMatch(new RegExp(`gitlab\\s+${names('gitlab')}\\s+create`));
    expect(await exists('network', `${name}-net`)).toBe(false);
    expect(await exists('container', names('gitlab'))).toBe(false);
  });

  it('brings the fixture stack to ready in an empty lab folder', async () => {
    const r = await up();
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`https://gitlab.test:${lab.stack.ports.https}`);
    expect(r.stdout).toContain('lab credentials');
    for (const service of ['traefik', 'gitlab']) {
      const c = await inspectContainer(names(service));
      expect(c?.running, service).toBe(true);
      expect(c?.labels).toMatchObject({
        'com.docker.compose.project': name,
        'com.docker.compose.service': service,
        'com.docker.compose.oneoff': 'False',
        'com.docker.compose.container-number': '1',
        'dev.lab.stack': name,
        'dev.lab.service': service,
      });
    }
    // The runner waits for the bootstrap; with --skip-runner it is not created.
    expect(await exists('container', names('runner'))).toBe(false);
  });

  it('serves https://gitlab.test:<https port> through the proxy to a container on the lab network, with a certificate from the lab CA', async () => {
    const gitlab = await inspectContainer(names('gitlab'));
    expect(gitlab?.extraHosts).toContain(`gitlab.test:${lab.stack.proxyIp}`);
    // A client container wired like the lab's own: same network, same extra_hosts.
    const addHosts = (gitlab?.extraHosts ?? []).flatMap((h) => ['--add-host', h]);
    const r = await docker(
      [
        'run',
        '--rm',
        '--network',
        `${name}-net`,
        ...addHosts,
        '-v',
        `${join(lab.dir, 'certs', 'ca', 'rootCA.pem')}:/ca.pem:ro`,
        FIXTURE_IMAGES.node,
        '/fixture/probe.mjs',
        `https://gitlab.test:${lab.stack.ports.https}/-/readiness`,
        '--ca',
        '/ca.pem',
      ],
      { reject: false },
    );
    const result = JSON.parse(r.stdout) as { ok: boolean; status: number; tls?: { authorized: boolean } };
    expect(result.ok, r.stdout).toBe(true);
    expect(result.status).toBe(200);
    expect(result.tls?.authorized).toBe(true);
  });

  it('reports each service in lab status, also as JSON', async () => {
    const text = await runLab(['status'], { cwd: lab.dir });
    expect(text.exitCode, text.all).toBe(0);
    expect(text.stdout).toMatch(/gitlab\s+running/);
    const json = await runLab(['status', '--json'], { cwd: lab.dir });
    const report = JSON.parse(json.stdout) as {
      services: {
        service: string;
        state: string;
        image: string | null;
        ports: { host: number }[];
        url: string | null;
        upToDate: boolean | null;
      }[];
    };
    const traefik = report.services.find((s) => s.service === 'traefik');
    expect(traefik).toMatchObject({
      state: 'running',
      image: FIXTURE_IMAGES.traefik,
      url: `https://traefik.test:${lab.stack.ports.https}`,
      upToDate: true,
    });
    // Traefik publishes http, https and, on its TCP entry point, Git over SSH.
    expect(traefik?.ports.map((p) => p.host).sort()).toEqual([lab.stack.ports.http, lab.stack.ports.https, lab.stack.ports.ssh].sort());
    expect(report.services.find((s) => s.service === 'runner')?.state).toBe('missing');
  });

  it('recreates nothing on a second lab up (same IDs, same start times)', async () => {
    const before = await Promise.all(['traefik', 'gitlab'].map((s) => inspectContainer(names(s))));
    const r = await up();
    expect(r.exitCode, r.all).toBe(0);
    const after = await Promise.all(['traefik', 'gitlab'].map((s) => inspectContainer(names(s))));
    expect(after.map((c) => [c?.id, c?.startedAt])).toEqual(before.map((c) => [c?.id, c?.startedAt]));
    expect(r.stdout).not.toMatch(/recreat/);
  });

  it('recreates only GitLab when its environment changes', async () => {
    const traefik = await inspectContainer(names('traefik'));
    const gitlab = await inspectContainer(names('gitlab'));
    await lab.write({ LAB_TEST_MARK: 'changed' });
    const plan = await up(['--dry-run']);
    expect(plan.stdout).toMatch(new RegExp(`gitlab\\s+${names('gitlab')}\\s+recreate \\(config changed\\)`));
    expect(plan.stdout).toMatch(new RegExp(`traefik\\s+${names('traefik')}\\s+keep`));
    const r = await up();
    expect(r.exitCode, r.all).toBe(0);
    const traefik2 = await inspectContainer(names('traefik'));
    const gitlab2 = await inspectContainer(names('gitlab'));
    expect(traefik2?.id).toBe(traefik?.id);
    expect(traefik2?.startedAt).toBe(traefik?.startedAt);
    expect(gitlab2?.id).not.toBe(gitlab?.id);
    expect(gitlab2?.running).toBe(true);
  });

  it('keeps the volume data across lab down and lab up', async () => {
    const volume = `${name}-gitlab-data`;
    await docker(['run', '--rm', '-v', `${volume}:/data`, FIXTURE_IMAGES.busybox, 'sh', '-c', 'echo kept-marker > /data/marker']);
    const gitlab = await inspectContainer(names('gitlab'));
    const down = await runLab(['down'], { cwd: lab.dir });
    expect(down.exitCode, down.all).toBe(0);
    expect((await inspectContainer(names('gitlab')))?.running).toBe(false);
    expect((await inspectContainer(names('traefik')))?.running).toBe(false);
    const r = await up();
    expect(r.exitCode, r.all).toBe(0);
    const again = await inspectContainer(names('gitlab'));
    expect(again?.running).toBe(true);
    expect(again?.id).toBe(gitlab?.id); // started, not recreated
    const marker = await docker(['run', '--rm', '-v', `${volume}:/data`, FIXTURE_IMAGES.busybox, 'cat', '/data/marker']);
    expect(marker.stdout.trim()).toBe('kept-marker');
  });

  it('reaches the engine through a Docker context in DOCKER_CONFIG', async () => {
    const cfg = await tempDir('lab-dockercfg-');
    const meta = join(cfg, 'contexts', 'meta', contextId('lab-test'));
    await mkdir(meta, { recursive: true });
    await writeFile(
      join(meta, 'meta.json'),
      JSON.stringify({ Name: 'lab-test', Endpoints: { docker: { Host: 'unix:///var/run/docker.sock' } } }),
    );
    await writeFile(join(cfg, 'config.json'), JSON.stringify({ currentContext: 'lab-test' }));
    const r = await runLab(['status', '--json'], { cwd: lab.dir, env: { DOCKER_CONFIG: cfg, DOCKER_HOST: undefined } });
    expect(r.exitCode, r.all).toBe(0);
    expect((JSON.parse(r.stdout) as { services: { state: string }[] }).services[1]?.state).toBe('running');
  });

  it('is listed by docker compose -p <name> ps', async () => {
    await requireTool('docker compose');
    const r = await docker(['compose', '-p', name, 'ps', '--format', '{{.Name}}']);
    expect(r.stdout.split('\n').sort()).toEqual([names('gitlab'), names('traefik')].sort());
  });

  it('shows a service log with lab logs', async () => {
    const r = await runLab(['logs', 'gitlab', '--tail', '5'], { cwd: lab.dir });
    expect(r.exitCode, r.all).toBe(0);
    const direct = await docker(['logs', '--tail', '5', names('gitlab')]);
    expect(r.stdout.trim()).toBe(direct.stdout.trim());
  });

  it('refuses to destroy without --yes when not on a terminal (exit 2)', async () => {
    const r = await runLab(['destroy'], { cwd: lab.dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(await exists('container', names('gitlab'))).toBe(true);
  });

  it('destroy --yes removes everything of the stack and nothing else', async () => {
    const r = await runLab(['destroy', '--yes'], { cwd: lab.dir });
    expect(r.exitCode, r.all).toBe(0);
    for (const kind of ['ps -aq', 'network ls -q', 'volume ls -q']) {
      const left = await docker([...kind.split(' '), '--filter', `label=dev.lab.stack=${name}`]);
      expect(left.stdout.trim(), kind).toBe('');
    }
    expect(await exists('container', names('gitlab'))).toBe(false);
    expect(await exists('network', `${name}-net`)).toBe(false);
    expect(await exists('volume', `${name}-gitlab-data`)).toBe(false);
    expect(await exists('container', foreign.container)).toBe(true);
    expect(await exists('network', foreign.network)).toBe(true);
    expect(await exists('volume', foreign.volume)).toBe(true);
    // certs/ stays without --purge-certs.
    expect(existsSync(join(lab.dir, 'certs', 'ca', 'rootCA.pem'))).toBe(true);
    expect(existsSync(join(lab.dir, 'certs', 'tls', 'lab.pem'))).toBe(true);
  });
});
