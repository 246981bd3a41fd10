import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLab } from '../helpers/cli.js';
import { freePort } from '../helpers/docker.js';
import { doctorJson, statuses } from '../helpers/doctor.js';
import {
  DESKTOP_VERSION,
  DOCKER_ENGINE_VERSION,
  type FakeEngine,
  type FakeEngineOptions,
  GIB,
  info,
  PODMAN_VERSION,
  startFakeEngine,
} from '../helpers/fake-engine.js';
import { type Minted, mintCa, mintLeaf, writeLabCerts } from '../helpers/forge-certs.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * lab doctor against engine doubles on a unix socket (no Docker needed): how it names
 * the engine, judges memory, finds port holders, survives a wedged engine, and reads
 * certificates. The lab folders get real certificates, made here with node-forge.
 */

let root: string;
let ca: Minted;
let counter = 0;
const engines: FakeEngine[] = [];

interface LabSpec {
  profile?: 'small' | 'standard';
  /** Certificates to install; default a valid CA and leaf for the lab's hosts. */
  certs?: ((names: string[]) => { ca: Minted; leaf: Minted }) | 'none';
}

interface Lab {
  dir: string;
  domain: string;
  ports: { http: number; https: number; ssh: number };
}

async function makeLab(spec: LabSpec = {}): Promise<Lab> {
  const name = `fd${process.pid.toString(36)}${(counter++).toString(36)}`;
  const domain = `${name}.test`;
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const ports = { http: await freePort(), https: await freePort(), ssh: await freePort() };
  await writeFile(
    join(dir, 'lab.yml'),
    [
      `name: ${name}`,
      `domain: ${domain}`,
      'ports:',
      `  http: ${ports.http}`,
      `  https: ${ports.https}`,
      `  ssh: ${ports.ssh}`,
      'gitlab:',
      `  profile: ${spec.profile ?? 'small'}`,
      '',
    ].join('\n'),
  );
  const names = [`gitlab.${domain}`, `registry.${domain}`, `traefik.${domain}`];
  if (spec.certs !== 'none') {
    const made = spec.certs ? spec.certs(names) : { ca, leaf: mintLeaf(ca, names, { from: -1, to: 400 }) };
    await writeLabCerts(dir, made.ca, made.leaf);
  }
  return { dir, domain, ports };
}

async function engine(options: FakeEngineOptions): Promise<FakeEngine> {
  const e = await startFakeEngine(root, options);
  engines.push(e);
  return e;
}

beforeAll(async () => {
  root = await tempDir('lab-doctor-fake-');
  ca = mintCa('lab doctor test CA', { from: -1, to: 3650 });
});

afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

describe('lab doctor: the engine', () => {
  it('names Docker Engine, Docker Desktop and Podman from /version and /info, and only reads', async () => {
    const lab = await makeLab();
    const cases: [FakeEngineOptions, RegExp][] = [
      [
        { version: DOCKER_ENGINE_VERSION, info: info('Debian GNU/Linux 12 (bookworm)', 16 * GIB) },
        /^Docker Engine 20\.10\.24\+dfsg1, API 1\.41, Debian GNU\/Linux 12 \(bookworm\), at unix:\/\//,
      ],
      [{ version: DESKTOP_VERSION, info: info('Docker Desktop', 8 * GIB) }, /^Docker Desktop 27\.2\.0, API 1\.47, Docker Desktop, at /],
      [{ version: PODMAN_VERSION, info: info('fedora', 8 * GIB) }, /^Podman 5\.2\.1, API 1\.41, fedora, at /],
      [
        {
          version: DOCKER_ENGINE_VERSION,
          info: info('Ubuntu 24.04', 8 * GIB, { SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless'] }),
        },
        /^Docker Engine \(rootless\) 20\.10\.24/,
      ],
    ];
    for (const [options, expected] of cases) {
      const e = await engine(options);
      const d = await doctorJson(lab.dir, { DOCKER_HOST: e.host });
      expect(d.check('engine').status, statuses(d.report)).toBe('ok');
      expect(d.check('engine').detail).toMatch(expected);
      expect(d.check('engine').fix).toBeNull();
      expect(
        e.requests.every((r) => r.startsWith('GET ') || r.startsWith('HEAD ')),
        e.requests.join(', '),
      ).toBe(true);
    }
  });

  it('a wedged engine (accepts, never answers) fails the engine check and skips what needs it, without hanging', async () => {
    const lab = await makeLab();
    const e = await engine({ hang: true });
    // The guard is the 30 s kill: a doctor that waited on the engine would be killed and print no JSON.
    const d = await doctorJson(lab.dir, { DOCKER_HOST: e.host }, 30_000);
    expect(d.run.exitCode).toBe(1);
    expect(d.check('engine')).toMatchObject({ status: 'fail' });
    expect(d.check('engine').detail).toMatch(/did not answer within 2 s/);
    expect(d.check('engine').fix).toMatch(/DOCKER_HOST|docker context use/);
    expect(d.check('ports')).toMatchObject({ status: 'skip' });
    expect(d.check('memory')).toMatchObject({ status: 'skip' });
    // Checks that do not need the engine still ran.
    expect(d.check('certs.ca').status).toBe('ok');
  });
});

describe('lab doctor: memory against the GitLab profile', () => {
  const cases: {
    profile: 'small' | 'standard';
    mem: number;
    os?: string;
    version?: Record<string, unknown>;
    status: string;
    fix?: RegExp;
  }[] = [
    { profile: 'small', mem: 16 * GIB, status: 'ok' },
    { profile: 'small', mem: 3.8 * GIB, status: 'ok' }, // a nominal 4 GB machine
    { profile: 'small', mem: 3 * GIB, status: 'warn', fix: /more memory/ },
    { profile: 'small', mem: 1 * GIB, status: 'fail', fix: /more memory/ },
    { profile: 'standard', mem: 6 * GIB, status: 'warn', fix: /profile: small/ },
    { profile: 'standard', mem: 7.8 * GIB, status: 'ok' },
    {
      profile: 'small',
      mem: 3 * GIB,
      os: 'Docker Desktop',
      version: DESKTOP_VERSION,
      status: 'warn',
      fix: /Docker Desktop more memory \(Settings → Resources → Memory\)/,
    },
    { profile: 'standard', mem: 4 * GIB, version: PODMAN_VERSION, status: 'warn', fix: /podman machine set --memory/ },
  ];
  for (const c of cases) {
    it(`${c.profile} with ${(c.mem / GIB).toFixed(1)} GiB${c.os ? ` on ${c.os}` : ''} → ${c.status}`, async () => {
      const lab = await makeLab({ profile: c.profile });
      const e = await engine({ version: c.version ?? DOCKER_ENGINE_VERSION, info: info(c.os ?? 'Debian GNU/Linux 12 (bookworm)', c.mem) });
      const d = await doctorJson(lab.dir, { DOCKER_HOST: e.host });
      const m = d.check('memory');
      expect(m.status, m.detail).toBe(c.status);
      expect(m.detail).toContain(`"${c.profile}" profile needs about ${c.profile === 'small' ? '4.0' : '8.0'} GB`);
      expect(m.detail).toContain('docs.gitlab.com/install/requirements');
      expect(m.detail).toContain('docs.gitlab.com/omnibus/settings/memory_constrained_envs');
      if (c.fix) expect(m.fix).toMatch(c.fix);
      else expect(m.fix).toBeNull();
    });
  }
});

describe('lab doctor: ports', () => {
  let holder: Server | undefined;
  afterAll(async () => {
    await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
  });

  it('names the program that holds a lab port and says how to change `ports:`', async () => {
    const lab = await makeLab();
    // Answers every connection by closing it, as a program that is not the lab would.
    holder = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => holder?.listen(lab.ports.https, '0.0.0.0', () => resolve()));
    const e = await engine({});
    const d = await doctorJson(lab.dir, { DOCKER_HOST: e.host });
    const p = d.check('ports');
    expect(p.status).toBe('fail');
    expect(p.detail).toContain(`${lab.ports.https} (ports.https) is taken by process node (pid ${process.pid})`);
    expect(p.detail).toContain(`${lab.ports.http} (ports.http) is free`);
    expect(p.fix).toMatch(/ports: \{ https: \d+ \}/);
    expect(d.run.exitCode).toBe(1);
  });

  it('names a container of another stack that publishes a lab port', async () => {
    const lab = await makeLab();
    const e = await engine({
      containers: [
        {
          Id: 'f'.repeat(64),
          Names: ['/web-1'],
          State: 'running',
          Status: 'Up 2 minutes',
          Image: 'nginx',
          ImageID: 'sha256:0',
          Labels: { 'com.docker.compose.project': 'other' },
          Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: lab.ports.http, Type: 'tcp' }],
        },
      ],
    });
    const d = await doctorJson(lab.dir, { DOCKER_HOST: e.host });
    expect(d.check('ports').status).toBe('fail');
    expect(d.check('ports').detail).toContain(`${lab.ports.http} (ports.http) is taken by container web-1 (stack "other")`);
    expect(d.check('ports').fix).toMatch(/ports: \{ http: \d+ \}/);
  });
});

describe('lab doctor: certificates', () => {
  let e: FakeEngine;
  beforeAll(async () => {
    e = await engine({});
  });

  it('valid CA and leaf: ok, with the expiry dates', async () => {
    const lab = await makeLab();
    const d = await doctorJson(lab.dir, { DOCKER_HOST: e.host });
    expect(d.check('certs.ca')).toMatchObject({ status: 'ok', fix: null });
    expect(d.check('certs.ca').detail).toMatch(/valid until \d{4}-\d\d-\d\d \(36\d\d days\)/);
    expect(d.check('certs.leaf').detail).toMatch(/valid until .* \((399|400) days\)/);
  });

  it('missing certificates fail, with `lab certs` as the fix (and the --dir given)', async () => {
    const lab = await makeLab({ certs: 'none' });
    const d = await doctorJson(lab.dir, { DOCKER_HOST: e.host });
    expect(d.run.exitCode).toBe(1);
    expect(d.check('certs.ca').status).toBe('fail');
    expect(d.check('certs.ca').fix).toContain(`lab --dir ${lab.dir} certs`);
    expect(d.check('certs.leaf').status).toBe('fail');
    // Without a CA nothing can be pinned: readiness fails with the same remedy.
    expect(d.check('gitlab.route').status).toBe('fail');
    expect(d.check('runner.contact').status).toBe('skip');
  });

  it('warns under 30 days and fails when expired, for the CA and for the leaf', async () => {
    const soonCa = mintCa('soon CA', { from: -100, to: 10 });
    const soon = await makeLab({ certs: (names) => ({ ca: soonCa, leaf: mintLeaf(soonCa, names, { from: -1, to: 9 }) }) });
    const d1 = await doctorJson(soon.dir, { DOCKER_HOST: e.host });
    expect(d1.check('certs.ca').status).toBe('warn');
    expect(d1.check('certs.ca').detail).toMatch(/expires in (9|10) days/);
    expect(d1.check('certs.ca').fix).toContain('certs --new-ca');
    expect(d1.check('certs.leaf').status).toBe('warn');
    expect(d1.check('certs.leaf').fix).toContain('certs --renew');

    const expired = await makeLab({ certs: (names) => ({ ca, leaf: mintLeaf(ca, names, { from: -400, to: -2 }) }) });
    const d2 = await doctorJson(expired.dir, { DOCKER_HOST: e.host });
    expect(d2.check('certs.leaf').status).toBe('fail');
    expect(d2.check('certs.leaf').detail).toMatch(/expired on \d{4}-\d\d-\d\d/);
    expect(d2.check('certs.ca').status).toBe('ok');

    const oldCa = mintCa('old CA', { from: -800, to: -1 });
    const deadCa = await makeLab({ certs: (names) => ({ ca: oldCa, leaf: mintLeaf(oldCa, names, { from: -30, to: 30 }) }) });
    const d3 = await doctorJson(deadCa.dir, { DOCKER_HOST: e.host });
    expect(d3.check('certs.ca').status).toBe('fail');
    expect(d3.check('certs.ca').detail).toMatch(/expired on/);
    expect(d3.run.exitCode).toBe(1);
  });

  it('fails a leaf from another CA, and warns when it does not name every lab host', async () => {
    const other = mintCa('another CA', { from: -1, to: 100 });
    const foreign = await makeLab({ certs: (names) => ({ ca, leaf: mintLeaf(other, names, { from: -1, to: 90 }) }) });
    const d1 = await doctorJson(foreign.dir, { DOCKER_HOST: e.host });
    expect(d1.check('certs.leaf').status).toBe('fail');
    expect(d1.check('certs.leaf').detail).toMatch(/was not issued by the lab CA/);

    const partial = await makeLab({ certs: (names) => ({ ca, leaf: mintLeaf(ca, names.slice(0, 1), { from: -1, to: 90 }) }) });
    const d2 = await doctorJson(partial.dir, { DOCKER_HOST: e.host });
    expect(d2.check('certs.leaf').status).toBe('warn');
    expect(d2.check('certs.leaf').detail).toContain(`does not name registry.${partial.domain}, traefik.${partial.domain}`);
  });
});

describe('lab doctor: output', () => {
  it('--json has {checks: [{id, title, status, detail, fix}], summary}; the text form has one line per check and a fix under each problem', async () => {
    const lab = await makeLab();
    const e = await engine({});
    const d = await doctorJson(lab.dir, { DOCKER_HOST: e.host });
    const ids = d.report.checks.map((c) => c.id);
    expect(ids).toEqual([
      'engine',
      'ports',
      'memory',
      'dns.gitlab',
      'dns.registry',
      'dns.traefik',
      'trust.system',
      'trust.docker',
      'certs.ca',
      'certs.leaf',
      'gitlab.ready',
      'gitlab.route',
      'runner.contact',
      'runner.build',
    ]);
    for (const c of d.report.checks) {
      expect(Object.keys(c).sort()).toEqual(['detail', 'fix', 'id', 'status', 'title']);
      expect(['ok', 'warn', 'fail', 'skip']).toContain(c.status);
      // A concrete fix for everything that is a problem, none for what is fine.
      if (c.status === 'warn' || c.status === 'fail') expect(c.fix, c.id).toMatch(/\S/);
      else expect(c.fix, c.id).toBeNull();
    }
    const count = (s: string) => d.report.checks.filter((c) => c.status === s).length;
    expect(d.report.summary).toEqual({
      ok: count('ok'),
      warn: count('warn'),
      fail: count('fail'),
      skip: count('skip'),
      exitCode: count('fail') > 0 ? 1 : 0,
    });
    expect(d.run.exitCode).toBe(d.report.summary.exitCode);

    const text = await runLab(['--dir', lab.dir, 'doctor'], { env: { DOCKER_HOST: e.host } });
    expect(text.exitCode).toBe(d.run.exitCode);
    const lines = text.stdout.split('\n');
    for (const c of d.report.checks) {
      const i = lines.findIndex((l) => new RegExp(`^${c.status} +${c.id.replace('.', '\\.')} +\\S`).test(l));
      expect(i, `${c.id} in:\n${text.stdout}`).toBeGreaterThanOrEqual(0);
      if (c.fix) expect(lines[i + 1]).toMatch(/^ +fix: \S/);
    }
    expect(lines.at(-1)).toMatch(/^14 checks: \d+ ok, \d+ warn, \d+ fail/);
  });
});
