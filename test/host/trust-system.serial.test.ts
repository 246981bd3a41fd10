import { existsSync } from 'node:fs';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_BIN, runLab } from '../helpers/cli.js';
import {
  ANCHORS,
  BUNDLE,
  CERTS,
  debianRoot,
  JAVA_CACERTS,
  resolvedCerts,
  type StoreSnapshot,
  snapshotDebianStore,
} from '../helpers/debian-store.js';
import { freePort } from '../helpers/docker.js';
import { makeTrustLab, openForNobody, readJson, type TrustLab } from '../helpers/host-lab.js';
import { curlSystem, startHttps } from '../helpers/https.js';
import { type DirSnapshot, describeSnapshot, readOptionalBytes, snapshotDir } from '../helpers/snapshot.js';
import { tempDir } from '../helpers/tmp.js';

describe.runIf(debianRoot)('lab trust --system on Debian (root)', () => {
  let root: string;
  let lab: TrustLab;
  /** The same certificates in a lab whose https port nobody listens on. */
  let down: string;
  let server: { port: number; close: () => Promise<void> };
  let anchors: DirSnapshot | undefined;
  let certs: DirSnapshot | undefined;
  let certsResolved: string;
  let bundle: Buffer | undefined;
  let javaCacerts: Buffer | undefined;
  let store: StoreSnapshot | undefined;

  beforeAll(async () => {
    store = await snapshotDebianStore();
    anchors = await snapshotDir(ANCHORS);
    certs = await snapshotDir(CERTS);
    certsResolved = await resolvedCerts();
    bundle = await readOptionalBytes(BUNDLE);
    javaCacerts = await readOptionalBytes(JAVA_CACERTS);
    root = await tempDir('lab-trust-system-');
    const port = await freePort();
    lab = await makeTrustLab(root, { https: port, tag: 's' });
    server = await startHttps(lab.leafCert, lab.leafKey, port);
    down = join(root, 'down');
    await cp(lab.dir, down, { recursive: true });
    await writeFile(join(down, 'lab.yml'), `name: ${lab.name}\ndomain: ${lab.domain}\nports:\n  https: ${await freePort()}\n`);
  });

  afterAll(async () => {
    await server?.close();
    // Whatever happened above, the machine's stores end as they began.
    const leftover = join(ANCHORS, `${lab?.nick}.crt`);
    if (lab && existsSync(leftover)) {
      await rm(leftover, { force: true });
      await execa('update-ca-certificates', ['--fresh'], { reject: false });
    }
    await store?.restore();
  });

  it('--dry-run prints the exact commands and changes nothing', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--dry-run']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`$ install -m 0644 ${lab.caCert} ${ANCHORS}/${lab.nick}.crt`);
    expect(r.stdout).toContain('$ update-ca-certificates');
    expect(r.stdout).toMatch(
      new RegExp(`\\$ install -m 0644 \\S+ /etc/docker/certs\\.d/registry\\.${lab.domain.replace('.', '\\.')}:${server.port}/ca\\.crt`),
    );
    expect(describeSnapshot(await snapshotDir(ANCHORS))).toBe(describeSnapshot(anchors));
    expect(describeSnapshot(await snapshotDir(CERTS))).toBe(describeSnapshot(certs));
    expect(existsSync(`/etc/docker/certs.d/registry.${lab.domain}:${server.port}`)).toBe(false);
    expect(existsSync(join(lab.dir, '.lab', 'state.json'))).toBe(false);
  });

  it('--dry-run as a normal user shows sudo for the privileged steps', async () => {
    await openForNobody(root, lab);
    const r = await execa(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, LAB_BIN, '--dir', lab.dir, 'trust', '--system', '--dry-run'],
      {
        reject: false,
        env: { NO_COLOR: '1', HOME: lab.dir },
        cwd: '/',
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`$ sudo install -m 0644 ${lab.caCert} ${ANCHORS}/${lab.nick}.crt`);
    expect(r.stdout).toContain('$ sudo update-ca-certificates');
  });

  it('--check fails before anything is installed, online and offline', async () => {
    expect((await curlSystem(`gitlab.${lab.domain}`, server.port)).exitCode).toBe(60);
    const online = await runLab(['--dir', lab.dir, 'trust', '--check', '--system']);
    expect(online.exitCode).toBe(1);
    expect(online.stdout).toMatch(/^fail system .*SSL certificate problem/m);
    expect(online.stdout).toMatch(/fix: Run `lab trust --system`/);
    const offline = await runLab(['--dir', down, 'trust', '--check', '--system']);
    expect(offline.exitCode).toBe(1);
    expect(offline.stdout).toMatch(
      /^fail system the lab does not answer.*offline verification failed: error 20 .*unable to get local issuer certificate/m,
    );
  });

  it('installs into the system store: curl without --cacert then succeeds', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--system']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`installed: ${ANCHORS}/${lab.nick}.crt`);
    expect(await readFile(join(ANCHORS, `${lab.nick}.crt`))).toEqual(await readFile(lab.caCert));
    expect(await curlSystem(`gitlab.${lab.domain}`, server.port)).toMatchObject({ exitCode: 0 });

    const again = await runLab(['--dir', lab.dir, 'trust', '--system']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already installed');

    const state = (await readJson(join(lab.dir, '.lab', 'state.json'))) as {
      trust?: { installs: { kind: string; file: string; fingerprint256: string }[] };
    };
    expect(state.trust?.installs).toEqual([
      expect.objectContaining({ kind: 'system-anchor', file: `${ANCHORS}/${lab.nick}.crt`, fingerprint256: lab.fingerprint256 }),
    ]);
  });

  it('--check proves it with a TLS handshake, and offline when the lab is down', async () => {
    const online = await runLab(['--dir', lab.dir, 'trust', '--check', '--system']);
    expect(online.exitCode, online.all).toBe(0);
    expect(online.stdout).toMatch(/^ok +system https:\/\/gitlab\.\S+ verified \(HTTP 200\)/m);
    expect(online.stdout).toContain('via: TLS handshake: curl');

    const offline = await runLab(['--dir', down, 'trust', '--check', '--system']);
    expect(offline.exitCode, offline.all).toBe(0);
    expect(offline.stdout).toMatch(/does not answer.*verified offline instead/);
    expect(offline.stdout).toContain(`openssl verify -no-CApath -CAfile ${BUNDLE}`);
  });

  it('--uninstall removes exactly that: curl fails again and the stores are byte-identical', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--uninstall']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`removed system ${ANCHORS}/${lab.nick}.crt`);
    expect((await curlSystem(`gitlab.${lab.domain}`, server.port)).exitCode).toBe(60);
    expect((await runLab(['--dir', lab.dir, 'trust', '--check', '--system'])).exitCode).toBe(1);

    expect(await readOptionalBytes(BUNDLE)).toEqual(bundle);
    expect(describeSnapshot(await snapshotDir(ANCHORS))).toBe(describeSnapshot(anchors));
    expect(await resolvedCerts()).toBe(certsResolved);
    const state = (await readJson(join(lab.dir, '.lab', 'state.json'))) as Record<string, unknown>;
    expect(state.trust).toBeUndefined();
    // Debian's Java hook was told about the removal too.
    if (javaCacerts && existsSync('/usr/bin/keytool')) {
      const alias = await execa(
        'keytool',
        ['-list', '-keystore', JAVA_CACERTS, '-storepass', 'changeit', '-alias', `debian:${lab.nick}.pem`],
        { reject: false },
      );
      expect(alias.exitCode).not.toBe(0);
    }
    const nothing = await runLab(['--dir', lab.dir, 'trust', '--uninstall']);
    expect(nothing.stdout).toMatch(/recorded no trust installation/);
  });
});

describe('lab trust without a CA', () => {
  it('fails with a hint to run lab certs', async () => {
    const dir = await tempDir('lab-trust-noca-');
    const r = await runLab(['--dir', dir, 'trust', '--system']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^lab: error: no lab CA at .*rootCA\.pem/m);
    expect(r.stderr).toMatch(/^hint: Run `lab certs`/m);
  });
});
