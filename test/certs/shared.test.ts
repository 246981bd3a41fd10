import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import {
  certFiles,
  certText,
  expectExit,
  fingerprintOf,
  handshake,
  labCerts,
  opensslCa,
  snapshot,
  verify,
  writeLabYml,
} from '../helpers/certs.js';
import { runLab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { requireTool } from '../helpers/tools.js';

// Where a system-wide install would leave traces (Debian's ca-certificates layout).
const SYSTEM_STORES = ['/etc/ssl/certs', '/usr/local/share/ca-certificates', '/usr/share/ca-certificates'];

function pemBody(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/**
 * The system-store files that contain this certificate. Checking for the certificate
 * itself (not "nothing changed") keeps the test honest while other tests may
 * legitimately install their own CAs at the same time.
 */
async function storesHolding(body: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of Object.keys(await snapshot(...SYSTEM_STORES))) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (pemBody(text).includes(body)) found.push(path);
  }
  return found;
}

// tempDir registers its clean-up with afterAll, so it is called at the top level, not in a hook.
const root = await tempDir('lab-certs-shared-');

describe('sharing one CA across labs', () => {
  const shared = join(root, 'shared-ca');

  it('--caroot creates the CA outside the lab, LAB_CAROOT lets a second lab reuse it', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    await writeLabYml(a, 'name: alpha\n');
    await writeLabYml(b, 'name: beta\nnetwork:\n  subnet: 10.214.0.0/24\n');

    const runA = expectExit(await labCerts(a, ['--caroot', shared]), 0);
    expect(runA.stdout).toMatch(/^CA\s+created .*shared-ca\/rootCA\.pem/m);
    expect(existsSync(join(a, 'certs', 'ca'))).toBe(false);
    const caFiles = await snapshot(shared);

    const runB = expectExit(await labCerts(b, [], { LAB_CAROOT: shared }), 0);
    expect(runB.stdout).toMatch(/^CA\s+reused .*shared-ca\/rootCA\.pem \(shared\)/m);
    expect(runB.stdout).toMatch(/^leaf\s+created/m);
    expect(await snapshot(shared)).toEqual(caFiles);

    const fingerprint = await fingerprintOf(join(shared, 'rootCA.pem'));
    for (const dir of [a, b]) {
      const files = certFiles(dir, shared);
      expect((await verify(files.caCert, files.leafCert)).ok, dir).toBe(true);
      expect(await fingerprintOf(files.tlsCa)).toBe(fingerprint);
      expect((await handshake({ key: files.leafKey, cert: files.leafCert, ca: files.caCert }, 'registry.test')).ok).toBe(true);
    }
  });

  it('takes the CA folder from --caroot, then LAB_CAROOT, then certs.caroot in lab.yml', async () => {
    const c = join(root, 'c');
    const fromEnv = join(root, 'env-ca');
    const fromFlag = join(root, 'flag-ca');
    // certs.caroot is relative to the lab folder.
    await writeLabYml(c, 'name: gamma\ncerts:\n  caroot: ../shared-ca\n');
    await opensslCa(fromEnv, 'CA from LAB_CAROOT');
    await opensslCa(fromFlag, 'CA from --caroot');
    const tlsCa = certFiles(c).tlsCa;

    expectExit(await labCerts(c, ['--caroot', fromFlag], { LAB_CAROOT: fromEnv }), 0);
    expect(await fingerprintOf(tlsCa)).toBe(await fingerprintOf(join(fromFlag, 'rootCA.pem')));

    const byEnv = expectExit(await labCerts(c, [], { LAB_CAROOT: fromEnv }), 0);
    expect(byEnv.stdout).toMatch(/^leaf\s+renewed .*issued by a different CA/m);
    expect(await fingerprintOf(tlsCa)).toBe(await fingerprintOf(join(fromEnv, 'rootCA.pem')));

    expectExit(await labCerts(c), 0);
    expect(await fingerprintOf(tlsCa)).toBe(await fingerprintOf(join(shared, 'rootCA.pem')));
    expect((await verify(join(shared, 'rootCA.pem'), certFiles(c).leafCert)).ok).toBe(true);
  });

  // `lab trust --dry-run` reads the CA that `lab certs` made without changing anything: it
  // shows whether both commands mean the same folder. A domain of its own keeps its planned
  // trust-store paths clear of other tests'.
  it('reads LAB_CAROOT the same way in lab certs and the commands that use its CA', async () => {
    const f = join(root, 'f');
    await writeLabYml(f, 'name: phi\ndomain: phi.test\n');
    // Relative to where the user stands (root), not to the lab folder.
    const relative = { LAB_CAROOT: 'phi-ca' };
    expectExit(await runLab(['--dir', f, 'certs'], { cwd: root, env: relative }), 0);
    expect(existsSync(join(root, 'phi-ca', 'rootCA.pem'))).toBe(true);
    const trustRelative = await runLab(['--dir', f, 'trust', '--dry-run'], { cwd: root, env: relative });
    expect(trustRelative.all).not.toContain('no lab CA');
    expectExit(trustRelative, 0);

    // An empty LAB_CAROOT counts as unset: the lab's own certs/ca, for every command.
    const g = join(root, 'g');
    await writeLabYml(g, 'name: chi\ndomain: chi.test\n');
    const empty = { LAB_CAROOT: '' };
    expectExit(await runLab(['--dir', g, 'certs'], { cwd: g, env: empty }), 0);
    expect(existsSync(join(g, 'certs', 'ca', 'rootCA.pem'))).toBe(true);
    const trustEmpty = await runLab(['--dir', g, 'trust', '--dry-run'], { cwd: g, env: empty });
    expect(trustEmpty.all).not.toContain('no lab CA');
    expectExit(trustEmpty, 0);
  });

  it('refuses a shared CA whose name constraints do not cover this lab, and changes nothing', async () => {
    const d = join(root, 'd');
    await writeLabYml(d, 'name: delta\ndomain: corp.example\n');
    const before = await snapshot(shared, d);
    const run = expectExit(await labCerts(d, ['--caroot', shared]), 2);
    expect(run.stderr).toContain('lab: error: the CA');
    expect(run.stderr).toContain('shared-ca/rootCA.pem may not vouch for gitlab.corp.example');
    expect(run.stderr).toMatch(/^hint: /m);
    expect(await snapshot(shared, d)).toEqual(before);
  });

  it("reuses an mkcert CAROOT as it is, and mkcert's own run installs nothing system-wide", async () => {
    await requireTool('mkcert');
    const home = join(root, 'home');
    const caroot = join(root, 'mkcert-ca');
    await mkdir(home, { recursive: true });
    // TRUST_STORES=none: mkcert neither checks nor touches any store; no -install anyway.
    const mk = await execa('mkcert', ['localhost'], {
      cwd: home,
      env: { CAROOT: caroot, TRUST_STORES: 'none', HOME: home },
      reject: false,
      all: true,
    });
    expect(mk.exitCode, mk.all).toBe(0);
    const body = pemBody(await readFile(join(caroot, 'rootCA.pem'), 'utf8'));
    expect(await storesHolding(body)).toEqual([]);
    // NSS (Firefox, Chromium) would live under $HOME/.pki or $HOME/.mozilla.
    expect(existsSync(join(home, '.pki')) || existsSync(join(home, '.mozilla'))).toBe(false);
    expect(await certText(join(caroot, 'rootCA.pem'))).not.toContain('Name Constraints');

    const e = join(root, 'e');
    await writeLabYml(e, 'name: epsilon\n');
    const ca = await snapshot(caroot);
    const run = expectExit(await labCerts(e, ['--caroot', caroot]), 0);
    expect(run.stdout).toMatch(/^CA\s+reused .*mkcert-ca\/rootCA\.pem \(shared\)/m);
    expect(run.stdout).toContain('no name constraints');
    expect(await snapshot(caroot)).toEqual(ca);
    const files = certFiles(e, caroot);
    expect((await verify(files.caCert, files.leafCert)).ok).toBe(true);
    expect((await handshake({ key: files.leafKey, cert: files.leafCert, ca: files.caCert }, 'gitlab.test')).ok).toBe(true);
    expect(await storesHolding(body)).toEqual([]);
  });
});
