import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certFiles,
  certText,
  expectExit,
  fingerprintOf,
  handshake,
  labCerts,
  modeOf,
  openssl,
  signWithCaKey,
  snapshot,
  verify,
} from '../helpers/certs.js';
import type { LabRun } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

// One cold `lab certs` on defaults (no lab.yml), examined from every side.
// tempDir registers its clean-up with afterAll, so it is called at the top level, not in a hook.
const dir = await tempDir('lab-certs-mint-');

describe('lab certs on a fresh folder', () => {
  const files = certFiles(dir);
  let first: LabRun;

  beforeAll(async () => {
    first = expectExit(await labCerts(dir), 0);
  });

  it('reports what it created, the CA fingerprint, the SANs and the expiry', async () => {
    expect(first.stdout).toMatch(/^CA\s+created certs\/ca\/rootCA\.pem/m);
    expect(first.stdout).toMatch(/^leaf\s+created certs\/tls\/lab\.pem/m);
    expect(first.stdout).toContain(`SHA-256 ${await fingerprintOf(files.caCert)}`);
    expect(first.stdout).toContain('SANs: gitlab.test, registry.test, traefik.test');
    const end = await openssl(['x509', '-in', files.leafCert, '-noout', '-enddate']);
    const notAfter = new Date(end.stdout.replace('notAfter=', '')).toISOString().slice(0, 10);
    expect(first.stdout).toContain(`expires ${notAfter}`);
  });

  it('writes every file with its mode, and ca.pem as an exact copy of the CA', async () => {
    expect(await modeOf(files.caCert)).toBe(0o644);
    expect(await modeOf(files.caKey)).toBe(0o400);
    expect(await modeOf(files.leafCert)).toBe(0o644);
    expect(await modeOf(files.leafKey)).toBe(0o600);
    expect(await modeOf(files.tlsCa)).toBe(0o644);
    expect((await readFile(files.tlsCa)).equals(await readFile(files.caCert))).toBe(true);
  });

  it('passes openssl verify -x509_strict', async () => {
    const result = await verify(files.caCert, files.leafCert);
    expect(result.output).toContain('lab.pem: OK');
    expect(result.ok).toBe(true);
  });

  it('mints the CA profile: RSA 3072, critical basicConstraints, keyUsage and nameConstraints, SKI', async () => {
    const text = await certText(files.caCert);
    expect(text).toContain('Public-Key: (3072 bit)');
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toMatch(/Subject: O = lab development CA, OU = [^,\n]+@[^,\n]+, CN = lab lab CA/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(text).toMatch(/X509v3 Subject Key Identifier:/);
    const constraints = /X509v3 Name Constraints: critical\s+Permitted:\s+((?:\s*(?:DNS|IP):\S+)+)/.exec(text)?.[1]?.trim().split(/\s+/);
    expect(constraints).toEqual([
      'DNS:test',
      'DNS:localhost',
      'IP:127.0.0.0/255.0.0.0',
      'IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF',
      'IP:10.213.47.0/255.255.255.0',
    ]);
    const dates = await openssl(['x509', '-in', files.caCert, '-noout', '-startdate', '-enddate']);
    const [start, end] = dates.stdout.split('\n').map((l) => new Date(l.split('=')[1] ?? '').getTime());
    const years = ((end ?? 0) - (start ?? 0)) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
  });

  it('mints the leaf profile: RSA 2048, serverAuth, critical keyUsage, AKI = CA SKI, at most 825 days', async () => {
    const text = await certText(files.leafCert);
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/X509v3 Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/X509v3 Subject Alternative Name:\s+DNS:gitlab.test, DNS:registry.test, DNS:traefik.test/);
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(await certText(files.caCert))?.[1];
    const aki = /Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(text)?.[1];
    expect(ski).toBeTruthy();
    expect(aki).toBe(ski);
    const dates = await openssl(['x509', '-in', files.leafCert, '-noout', '-startdate', '-enddate']);
    const [start, end] = dates.stdout.split('\n').map((l) => new Date(l.split('=')[1] ?? '').getTime());
    expect(((end ?? 0) - (start ?? 0)) / 86_400_000).toBeLessThanOrEqual(825);
    // notBefore lies a little in the past, for clocks that lag.
    expect(start).toBeLessThan(Date.now() - 60_000);
  });

  it('uses random positive serials of up to 128 bits', async () => {
    const serial = async (f: string) => (await openssl(['x509', '-in', f, '-noout', '-serial'])).stdout.replace('serial=', '').trim();
    const [ca, leaf] = [await serial(files.caCert), await serial(files.leafCert)];
    for (const s of [ca, leaf]) {
      expect(s).toMatch(/^[0-9A-F]+$/);
      expect(BigInt(`0x${s}`) < 1n << 128n).toBe(true);
      expect(BigInt(`0x${s}`) > 1n << 64n).toBe(true);
    }
    expect(ca).not.toBe(leaf);
  });

  it('completes a TLS handshake for each lab host with a client that trusts only the CA', async () => {
    const tls = { key: files.leafKey, cert: files.leafCert, ca: files.tlsCa };
    for (const host of ['gitlab.test', 'registry.test', 'traefik.test']) {
      expect(await handshake(tls, host), host).toEqual({ ok: true, code: undefined });
    }
    expect(await handshake(tls, 'other.test')).toEqual({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('cannot vouch for example.com, even when someone signs with the CA key', async () => {
    const evil = await signWithCaKey(dir, files.caCert, files.caKey, 'example.com');
    const rejected = await openssl(['verify', '-CAfile', files.caCert, evil]);
    expect(rejected.exitCode).not.toBe(0);
    expect(rejected.all).toContain('permitted subtree violation');
    // The same procedure for a name inside the constraints passes: the rejection is the constraint's doing.
    const fine = await signWithCaKey(dir, files.caCert, files.caKey, 'anything.test');
    expect((await openssl(['verify', '-CAfile', files.caCert, fine])).exitCode).toBe(0);
  });

  it('leaves everything byte-identical, mtimes included, on a second run', async () => {
    const before = await snapshot(join(dir, 'certs'));
    const second = expectExit(await labCerts(dir), 0);
    expect(second.stdout).toMatch(/^CA\s+reused/m);
    expect(second.stdout).toMatch(/^leaf\s+reused/m);
    expect(await snapshot(join(dir, 'certs'))).toEqual(before);
  });

  it('prints a machine-readable report with --json', async () => {
    const run = expectExit(await labCerts(dir, ['--json']), 0);
    const report = JSON.parse(run.stdout) as {
      ca: { action: string; fingerprint256: string; permitted: string[]; certPath: string };
      leaf: { action: string; reason: string | null; names: string[]; notAfter: string };
      tlsCa: { action: string };
    };
    expect(report.ca.action).toBe('reused');
    expect(report.ca.fingerprint256).toBe(await fingerprintOf(files.caCert));
    expect(report.ca.certPath).toBe(files.caCert);
    expect(report.ca.permitted).toContain('localhost');
    expect(report.leaf).toMatchObject({ action: 'reused', reason: null, names: ['gitlab.test', 'registry.test', 'traefik.test'] });
    expect(new Date(report.leaf.notAfter).getTime()).toBeGreaterThan(Date.now());
    expect(report.tlsCa.action).toBe('unchanged');
  });
});
