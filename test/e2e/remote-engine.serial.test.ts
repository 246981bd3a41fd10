// lab against a remote Docker engine reached over TCP with TLS client certificates
// (DOCKER_HOST=tcp://<address>:2376, DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH), as the docker
// CLI and lab both read them. The engine is the dind double in a container (see
// test/helpers/remote-engine.ts); the lab folder is mounted at the same path on its host.
//
// SERIAL: a second dockerd with GitLab, Traefik and the runner inside is the heaviest thing
// the suite runs; it runs alone (see the *.serial suffix).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorJson } from '../helpers/doctor.js';
import { FIXTURE_IMAGES, type FixtureLab, fixtureLab, fixtureSuite } from '../helpers/fixture-lab.js';
import { type RemoteEngine, startRemoteEngine } from '../helpers/remote-engine.js';
import { tempDir } from '../helpers/tmp.js';

const engineImage = (await execa('docker', ['image', 'inspect', 'lab-fixture/dind'], { reject: false })).exitCode === 0;
const run = (await fixtureSuite({ when: process.platform === 'linux' })) && engineImage;
if (!run && process.env.LAB_REQUIRE_DOCKER === '1' && !engineImage)
  throw new Error('LAB_REQUIRE_DOCKER=1 but lab-fixture/dind is missing (run scripts/fixtures.sh)');

let engine: RemoteEngine;
let lab: FixtureLab;
let scratch: string;
const IMAGES = [FIXTURE_IMAGES.traefik, FIXTURE_IMAGES.gitlab, FIXTURE_IMAGES.runner, FIXTURE_IMAGES.busybox];

beforeAll(async () => {
  if (!run) return;
  lab = await fixtureLab(tempDir, { prefix: 'rm' });
  scratch = await tempDir('lab-remote-scratch-');
  engine = await startRemoteEngine({ mounts: [lab.dir, scratch], images: IMAGES });
  process.stderr.write(
    `remote engine ${engine.env.DOCKER_HOST}: docker save | docker load of ${IMAGES.length} images took ${engine.loadMs} ms\n`,
  );
});

afterAll(async () => {
  if (!run) return;
  // lab destroy is under test below; whatever it left goes with the engine.
  await engine?.stop();
});

describe.runIf(run)('remote engine harness: dockerd over TCP with TLS client certificates', () => {
  it('answers docker version with the environment, and names itself remote', async () => {
    const v = await engine.docker(['version', '--format', '{{.Server.Version}} {{.Server.Os}}']);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\S* linux$/);
    const info = await engine.docker(['info', '--format', '{{.Name}} {{.Driver}}']);
    expect(info.stdout).toBe(`${engine.name} overlay2`);
    // The same engine on the port published on this machine's loopback.
    const local = await execa('docker', ['version', '--format', '{{.Server.Version}}'], {
      env: { ...engine.env, DOCKER_HOST: `tcp://${engine.published}` },
    });
    expect(local.stdout).toBe(v.stdout.split(' ')[0]);
  });

  it('refuses a client without a certificate, in the TLS handshake', async () => {
    const ca = join(engine.certDir, 'ca.pem');
    const r = await execa('docker', ['--host', engine.env.DOCKER_HOST, '--tlsverify', '--tlscacert', ca, 'version'], {
      env: { DOCKER_HOST: undefined, DOCKER_TLS_VERIFY: undefined, DOCKER_CERT_PATH: undefined },
      extendEnv: true,
      reject: false,
    });
    expect(r.exitCode).not.toBe(0);
    // dockerd requires and verifies client certificates (--tlsverify): the handshake fails.
    expect(r.stderr).toContain('remote error: tls: bad certificate');
  });

  it('runs a loaded image, with a bind mount of a folder of this machine', async () => {
    const images = (await engine.docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n');
    expect(images).toEqual(expect.arrayContaining(IMAGES));
    await writeFile(join(scratch, 'from-here.txt'), 'written on this machine\n');
    const r = await engine.docker([
      ...['run', '--rm', '-v', `${scratch}:/mnt`, FIXTURE_IMAGES.busybox],
      ...['sh', '-c', 'cat /mnt/from-here.txt && echo written on the engine > /mnt/from-there.txt'],
    ]);
    expect(r.stdout).toBe('written on this machine');
    expect(await readFile(join(scratch, 'from-there.txt'), 'utf8')).toBe('written on the engine\n');
  });
});

describe.runIf(run)('lab against the remote engine', () => {
  const labRun = (args: string[]) => lab.lab(args, engine.env);
  const stackObjects = async (cli: (args: string[]) => Promise<{ stdout: string }>) => {
    const filter = ['--filter', `label=dev.lab.stack=${lab.name}`];
    const out = await Promise.all([
      cli(['ps', '-a', '--format', '{{.Names}} {{.State}}', ...filter]),
      cli(['network', 'ls', '-q', ...filter]),
      cli(['volume', 'ls', '-q', ...filter]),
    ]);
    return out.map((r) => r.stdout.split('\n').filter(Boolean).sort());
  };
  const remote = () => stackObjects((args) => engine.docker(args));
  const local = () => stackObjects((args) => execa('docker', args));
  const names = () => ['gitlab', 'runner', 'traefik'].map((s) => `${lab.name}-${s}-1`);

  it('lab up --pull never converges there, and only there', { timeout: 480_000 }, async () => {
    const up = await labRun(['up', '--pull', 'never', '--timeout', '5m']);
    expect(up.exitCode, up.all).toBe(0);
    expect((await remote())[0]).toEqual(names().map((n) => `${n} running`));
    expect(await local()).toEqual([[], [], []]);
  });

  it('lab status and lab logs gitlab read the remote engine', async () => {
    const status = await labRun(['status', '--json']);
    expect(status.exitCode, status.all).toBe(0);
    const report = JSON.parse(status.stdout) as { engine: string; services: { container: string; state: string; health: string }[] };
    expect(report.engine).toBe(engine.env.DOCKER_HOST);
    expect(report.services.map((s) => [s.container, s.state]).sort()).toEqual(names().map((n) => [n, 'running']));
    // The engine's own healthcheck runs every 30 s: right after lab up it may still be starting.
    expect(report.services.find((s) => s.container.endsWith('-gitlab-1'))?.health).toMatch(/^(healthy|starting)$/);
    const plain = await labRun(['status']);
    expect(plain.exitCode, plain.all).toBe(0);
    expect(plain.stdout).toContain(`stack "${lab.name}" on ${engine.env.DOCKER_HOST}`);
    const logs = await labRun(['logs', 'gitlab', '--tail', '200']);
    expect(logs.exitCode, logs.all).toBe(0);
    expect(logs.all).toContain('Administrator account created (username: root)');
  });

  it('lab doctor --json finds the remote engine, GitLab ready and the runner in contact', async () => {
    const doctor = await doctorJson(lab.dir, engine.env, 120_000);
    expect(doctor.check('engine')).toMatchObject({ status: 'ok' });
    expect(doctor.check('engine').detail).toContain(`at ${engine.env.DOCKER_HOST}`);
    for (const id of ['ports', 'gitlab.ready', 'gitlab.route', 'runner.contact']) expect(doctor.check(id).status, id).toBe('ok');
    expect(doctor.report.summary.fail).toBe(0);
    expect(doctor.run.exitCode).toBe(0);
  });

  it("routes Git over SSH through the proxy to GitLab's sshd", async () => {
    // The host key served on the engine host's ssh port is the GitLab container's own.
    const served = await execa('ssh-keyscan', ['-t', 'ed25519', '-p', String(lab.ports.ssh), engine.ip], { reject: false });
    const own = await engine.docker(['exec', `${lab.name}-gitlab-1`, 'cat', '/etc/ssh/ssh_host_ed25519_key.pub']);
    const key = own.stdout.split(' ')[1] ?? 'none';
    expect(served.stdout).toContain(`ssh-ed25519 ${key}`);
  });

  it('lab down stops the containers and keeps them; lab destroy --yes removes the stack', async () => {
    const down = await labRun(['down']);
    expect(down.exitCode, down.all).toBe(0);
    const [stopped = [], networks = [], volumes = []] = await remote();
    expect(stopped).toEqual(names().map((n) => `${n} exited`));
    expect(networks.length).toBe(1);
    expect(volumes.length).toBeGreaterThan(0);
    const destroy = await labRun(['destroy', '--yes']);
    expect(destroy.exitCode, destroy.all).toBe(0);
    expect(await remote()).toEqual([[], [], []]);
  });
});
