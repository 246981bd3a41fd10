import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certFiles,
  certText,
  copyTree,
  expectExit,
  fingerprintOf,
  handshake,
  labCerts,
  modeOf,
  openssl,
  opensslCa,
  snapshot,
  verify,
  writeLabYml,
} from '../helpers/certs.js';
import { tempDir } from '../helpers/tmp.js';

const serial = async (file: string) => (await openssl(['x509', '-in', file, '-noout', '-serial'])).stdout.trim();

// These run in order on one lab: each step starts from the state the previous one left.
// tempDir registers its clean-up with afterAll, so it is called at the top level, not in a hook.
const root = await tempDir('lab-certs-renew-');

describe('lab certs renewal', () => {
  const dir = join(root, 'lab');
  const files = certFiles(dir);

  beforeAll(async () => {
    await writeLabYml(dir, 'name: renewlab\n');
    expectExit(await labCerts(dir), 0);
  });

  it('--renew reissues the leaf, keeping its key pair, and leaves the CA untouched', async () => {
    const ca = await snapshot(join(dir, 'certs', 'ca'));
    const [oldSerial, oldKey] = [await serial(files.leafCert), await readFile(files.leafKey)];
    const run = expectExit(await labCerts(dir, ['--renew']), 0);
    expect(run.stdout).toMatch(/^CA\s+reused/m);
    expect(run.stdout).toMatch(/^leaf\s+renewed certs\/tls\/lab\.pem \(--renew\)/m);
    expect(await serial(files.leafCert)).not.toBe(oldSerial);
    expect((await readFile(files.leafKey)).equals(oldKey)).toBe(true);
    expect(await modeOf(files.leafKey)).toBe(0o600);
    expect(await snapshot(join(dir, 'certs', 'ca'))).toEqual(ca);
    expect((await verify(files.caCert, files.leafCert)).ok).toBe(true);
    // The certificate and the kept key belong together.
    expect((await handshake({ key: files.leafKey, cert: files.leafCert, ca: files.caCert }, 'gitlab.test')).ok).toBe(true);
  });

  it('--new-key reissues the leaf with a new key pair, even when nothing else asks for it', async () => {
    const [oldSerial, oldKey] = [await serial(files.leafCert), await readFile(files.leafKey)];
    const run = expectExit(await labCerts(dir, ['--new-key']), 0);
    expect(run.stdout).toMatch(/^leaf\s+renewed certs\/tls\/lab\.pem \(--new-key\)/m);
    expect(await serial(files.leafCert)).not.toBe(oldSerial);
    expect((await readFile(files.leafKey)).equals(oldKey)).toBe(false);
    expect(await modeOf(files.leafKey)).toBe(0o600);
    expect((await handshake({ key: files.leafKey, cert: files.leafCert, ca: files.caCert }, 'gitlab.test')).ok).toBe(true);
  });

  it('reissues when the SANs change (enabling GitLab Pages adds pages.test and *.pages.test)', async () => {
    await writeLabYml(dir, 'name: renewlab\ngitlab:\n  pages: true\n');
    const ca = await snapshot(join(dir, 'certs', 'ca'));
    const run = expectExit(await labCerts(dir), 0);
    expect(run.stdout).toMatch(/^leaf\s+renewed .*the SANs changed \(added pages\.test, \*\.pages\.test\)/m);
    expect(await certText(files.leafCert)).toMatch(
      /DNS:gitlab.test, DNS:registry.test, DNS:traefik.test, DNS:pages.test, DNS:\*.pages.test/,
    );
    expect(await snapshot(join(dir, 'certs', 'ca'))).toEqual(ca);
    const tls = { key: files.leafKey, cert: files.leafCert, ca: files.caCert };
    expect((await handshake(tls, 'group.pages.test')).ok).toBe(true);
    expect((await verify(files.caCert, files.leafCert)).ok).toBe(true);
    // …and the next run has nothing to do.
    const again = expectExit(await labCerts(dir), 0);
    expect(again.stdout).toMatch(/^leaf\s+reused/m);
  });

  it('reissues when a host is renamed within the domain', async () => {
    await writeLabYml(dir, 'name: renewlab\nhosts:\n  gitlab: code.test\n');
    const run = expectExit(await labCerts(dir), 0);
    expect(run.stdout).toMatch(
      /^leaf\s+renewed .*the SANs changed \(added code\.test; removed gitlab\.test, pages\.test, \*\.pages\.test\)/m,
    );
    expect((await handshake({ key: files.leafKey, cert: files.leafCert, ca: files.caCert }, 'code.test')).ok).toBe(true);
  });

  it('refuses a domain the CA may not vouch for, changes nothing, and --new-ca fixes it', async () => {
    await writeLabYml(dir, 'name: renewlab\ndomain: lab.internal\n');
    const before = await snapshot(join(dir, 'certs'));
    const run = expectExit(await labCerts(dir), 2);
    expect(run.stderr).toMatch(
      /lab: error: the CA certs\/ca\/rootCA\.pem may not vouch for gitlab\.lab\.internal, registry\.lab\.internal, traefik\.lab\.internal: its name constraints permit only test, localhost/,
    );
    expect(run.stderr).toMatch(/hint: .*--new-ca/);
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);

    const oldFingerprint = await fingerprintOf(files.caCert);
    const oldKey = await readFile(files.leafKey);
    const fixed = expectExit(await labCerts(dir, ['--new-ca']), 0);
    expect(fixed.stdout).toMatch(/^CA\s+replaced certs\/ca\/rootCA\.pem \(--new-ca\)/m);
    expect(fixed.stdout).toMatch(/^leaf\s+renewed .*\(the CA is new\)/m);
    // A new CA starts afresh: the leaf gets a new key pair too.
    expect((await readFile(files.leafKey)).equals(oldKey)).toBe(false);
    const newFingerprint = await fingerprintOf(files.caCert);
    expect(newFingerprint).not.toBe(oldFingerprint);
    expect(fixed.stdout).toContain(`SHA-256 ${newFingerprint}`);
    expect(await certText(files.caCert)).toMatch(/Permitted:\s+DNS:lab\.internal\s+DNS:localhost/);
    expect(await modeOf(files.caKey)).toBe(0o400);
    expect(await modeOf(files.caCert)).toBe(0o644);
    expect((await readFile(files.tlsCa)).equals(await readFile(files.caCert))).toBe(true);
    expect((await verify(files.caCert, files.leafCert)).ok).toBe(true);
    expect((await handshake({ key: files.leafKey, cert: files.leafCert, ca: files.tlsCa }, 'gitlab.lab.internal')).ok).toBe(true);
  });

  it('reissues a leaf issued by another CA (the CA was swapped under it)', async () => {
    const other = join(root, 'other');
    await writeLabYml(other, 'name: renewlab\ndomain: lab.internal\n');
    await opensslCa(join(root, 'other-ca'), 'another CA');
    expectExit(await labCerts(other, ['--caroot', join(root, 'other-ca')]), 0);
    // Put the other lab's leaf here: same names, wrong issuer.
    await copyTree(join(other, 'certs', 'tls', 'lab.pem'), files.leafCert);
    await copyTree(join(other, 'certs', 'tls', 'lab-key.pem'), files.leafKey);
    expect((await verify(files.caCert, files.leafCert)).ok).toBe(false);
    const run = expectExit(await labCerts(dir), 0);
    expect(run.stdout).toMatch(/^leaf\s+renewed .*\(it was issued by a different CA\)/m);
    expect((await verify(files.caCert, files.leafCert)).ok).toBe(true);
  });

  it('reissues a leaf with fewer than 30 days left on the next run', async () => {
    const short = join(root, 'short');
    // Reuse this lab's CA (cp -a keeps it byte-identical), so no new CA key is needed.
    await writeLabYml(short, 'name: renewlab\ndomain: lab.internal\ncerts:\n  leafDays: 20\n');
    await copyTree(join(dir, 'certs'), join(short, 'certs'));
    const shortFiles = certFiles(short);
    const ca = await snapshot(join(short, 'certs', 'ca'));
    const first = expectExit(await labCerts(short, ['--renew']), 0);
    expect(first.stdout).toMatch(/expires \d{4}-\d{2}-\d{2} \(in 19 days\)/);
    const firstSerial = await serial(shortFiles.leafCert);

    const next = expectExit(await labCerts(short), 0);
    expect(next.stdout).toMatch(/^leaf\s+renewed .*\(it expires in 1[89] days \(fewer than 30\)\)/m);
    expect(next.stderr).toContain('certs.leafDays is 20');
    expect(await serial(shortFiles.leafCert)).not.toBe(firstSerial);
    expect(await snapshot(join(short, 'certs', 'ca'))).toEqual(ca);
  });
});
