import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, realpath, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLab } from '../helpers/cli.js';
import { freePort } from '../helpers/docker.js';
import { makeTrustLab, readJson, type TrustLab } from '../helpers/host-lab.js';
import { startHttps } from '../helpers/https.js';
import { tempDir } from '../helpers/tmp.js';
import { requireTool } from '../helpers/tools.js';

const isRoot = process.getuid?.() === 0;

/** /etc/docker as a sorted list of paths, to prove that it ends as it began. */
async function dockerTree(): Promise<string> {
  const r = await execa('find', ['/etc/docker', '-printf', '%p %y %m\\n'], { reject: false });
  return r.stdout.split('\n').sort().join('\n');
}

describe.runIf(process.platform === 'linux' && isRoot)('lab trust --docker', () => {
  let root: string;
  let lab: TrustLab;
  let other: TrustLab;
  let server: { port: number; close: () => Promise<void> };
  let before: string;
  let certsDir: string;

  beforeAll(async () => {
    before = await dockerTree();
    root = await tempDir('lab-trust-docker-');
    const port = await freePort();
    lab = await makeTrustLab(root, { https: port, tag: 'd' });
    // Another lab with its own CA that wants the same registry name and port.
    other = await makeTrustLab(root, { https: port, tag: 'o' });
    await execa('sh', ['-c', `sed -i 's/^domain: .*/domain: ${lab.domain}/' "$1"`, 'sh', join(other.dir, 'lab.yml')]);
    server = await startHttps(lab.leafCert, lab.leafKey, port);
    certsDir = `/etc/docker/certs.d/registry.${lab.domain}:${port}`;
  });

  afterAll(async () => {
    await server?.close();
    if (certsDir && existsSync(certsDir)) await runLab(['--dir', lab.dir, 'trust', '--uninstall', '--docker']);
  });

  it('--dry-run prints the folder and file it would create, and creates nothing', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--docker', '--dry-run']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`$ mkdir -m 0755 ${certsDir}`);
    expect(r.stdout).toContain(`$ install -m 0644 ${lab.caCert} ${certsDir}/ca.crt`);
    expect(await dockerTree()).toBe(before);
  });

  it('--check fails while certs.d has no ca.crt for the registry', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--check', '--docker']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^fail docker no ${certsDir}/ca\\.crt`, 'm'));
  });

  it('writes certs.d/registry.<domain>:<port>/ca.crt, records it, and is idempotent', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--docker']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`installed: ${certsDir}/ca.crt`);
    const written = new X509Certificate(await readFile(join(certsDir, 'ca.crt')));
    expect(written.raw.equals(lab.caDer)).toBe(true);
    expect((await stat(join(certsDir, 'ca.crt'))).mode & 0o777).toBe(0o644);
    const state = (await readJson(join(lab.dir, '.lab', 'state.json'))) as {
      trust: { installs: { kind: string; file: string; createdDirs: string[] }[] };
    };
    expect(state.trust.installs).toEqual([expect.objectContaining({ kind: 'docker', file: `${certsDir}/ca.crt` })]);
    expect(state.trust.installs[0]?.createdDirs).toContain(certsDir);

    const again = await runLab(['--dir', lab.dir, 'trust', '--docker']);
    expect(again.stdout).toContain(`already installed: ${certsDir}/ca.crt`);
  });

  it('--check probes the registry over TLS trusting only that ca.crt', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--check', '--docker']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^ok +docker https:\/\/registry\.\S+\/v2\/ verified \(HTTP 401\)/m);
    expect(r.stdout).toContain(`--cacert ${certsDir}/ca.crt`);
  });

  it("will not overwrite another lab's CA in the same place (exit 1), and its check fails", async () => {
    const r = await runLab(['--dir', other.dir, 'trust', '--docker']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/holds another CA/);
    expect(new X509Certificate(await readFile(join(certsDir, 'ca.crt'))).raw.equals(lab.caDer)).toBe(true);
    const check = await runLab(['--dir', other.dir, 'trust', '--check', '--docker']);
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/holds another certificate than the lab CA/);
    // And its uninstall touches nothing it did not record.
    expect((await runLab(['--dir', other.dir, 'trust', '--uninstall'])).stdout).toMatch(/recorded no trust installation/);
    expect(existsSync(join(certsDir, 'ca.crt'))).toBe(true);
  });

  it('--uninstall --dry-run lists the removals and removes nothing', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--uninstall', '--dry-run']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`would remove docker ${certsDir}/ca.crt`);
    expect(r.stdout).toContain(`$ rm -f ${certsDir}/ca.crt`);
    expect(r.stdout).toContain(`$ rmdir --ignore-fail-on-non-empty ${certsDir}`);
    expect(existsSync(join(certsDir, 'ca.crt'))).toBe(true);
  });

  it('--uninstall removes the file and the folders lab created: /etc/docker is as before', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--uninstall', '--docker']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain(`removed docker ${certsDir}/ca.crt`);
    expect(existsSync(certsDir)).toBe(false);
    expect(await dockerTree()).toBe(before);
  });
});

/** The absolute path of a command on PATH, like `command -v`. */
async function onPath(command: string): Promise<string | undefined> {
  const r = await execa('sh', ['-c', `command -v ${command}`], { reject: false });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

describe.runIf(process.platform === 'linux')('lab trust --nss', () => {
  let root: string;
  let home: string;
  let lab: TrustLab;
  /** Another CA, to put under lab's nickname behind its back. */
  let other: TrustLab;
  let dbs: string[];

  beforeAll(async () => {
    root = await tempDir('lab-trust-nss-');
    home = join(root, 'home');
    lab = await makeTrustLab(root, { https: 8443, tag: 'n' });
    other = await makeTrustLab(root, { https: 8443, tag: 'm' });
    dbs = [join(home, '.pki', 'nssdb'), join(home, '.mozilla', 'firefox', 'abcd1234.default-release')];
    for (const db of dbs) await mkdir(db, { recursive: true });
    await requireTool('certutil');
    for (const db of dbs) await execa('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  });

  it('says how to install certutil when it is missing', async () => {
    const emptyPath = join(root, 'empty-path');
    await mkdir(emptyPath, { recursive: true });
    // A database to trust into, even without certutil to create it.
    await mkdir(join(root, 'h2', '.pki', 'nssdb'), { recursive: true });
    await writeFile(join(root, 'h2', '.pki', 'nssdb', 'cert9.db'), '');
    const r = await runLab(['--dir', lab.dir, 'trust', '--nss'], { env: { HOME: join(root, 'h2'), PATH: emptyPath } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/certutil \(NSS tools\) is not installed/);
    expect(r.stderr).toContain('sudo apt install libnss3-tools');
  });

  it('installs into ~/.pki/nssdb and each Firefox profile; certutil -V then accepts the CA', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--nss'], { env: { HOME: home } });
    expect(r.exitCode, r.all).toBe(0);
    for (const db of dbs) {
      expect(r.stdout).toContain(`installed: sql:${db} (${lab.nick})`);
      const v = await execa('certutil', ['-V', '-u', 'L', '-n', lab.nick, '-d', `sql:${db}`], { reject: false });
      expect(v.exitCode, v.stdout + v.stderr).toBe(0);
    }
    const again = await runLab(['--dir', lab.dir, 'trust', '--nss'], { env: { HOME: home } });
    expect(again.stdout.match(/already installed/g)).toHaveLength(2);
    const check = await runLab(['--dir', lab.dir, 'trust', '--check', '--nss'], { env: { HOME: home } });
    expect(check.exitCode, check.all).toBe(0);
    expect(check.stdout.match(/^ok +nss /gm)).toHaveLength(2);
  });

  it('--uninstall removes the nickname from each database again', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--uninstall', '--nss'], { env: { HOME: home } });
    expect(r.exitCode, r.all).toBe(0);
    for (const db of dbs) {
      const listed = await execa('certutil', ['-L', '-n', lab.nick, '-d', `sql:${db}`], { reject: false });
      expect(listed.exitCode).not.toBe(0);
    }
    const check = await runLab(['--dir', lab.dir, 'trust', '--check', '--nss'], { env: { HOME: home } });
    expect(check.exitCode).toBe(1);
    expect(check.stdout).toMatch(/fix: Run `lab trust --nss`/);
  });

  it("leaves a certificate that took the nickname behind lab's back: install refuses, --uninstall keeps it", async () => {
    const env = { HOME: home };
    expect((await runLab(['--dir', lab.dir, 'trust', '--nss'], { env })).exitCode).toBe(0);
    const [swapped = '', untouched = ''] = dbs;
    await execa('certutil', ['-D', '-d', `sql:${swapped}`, '-n', lab.nick]);
    await execa('certutil', ['-A', '-d', `sql:${swapped}`, '-t', 'C,,', '-n', lab.nick, '-i', other.caCert]);

    const again = await runLab(['--dir', lab.dir, 'trust', '--nss'], { env });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`"${lab.nick}" in sql:${swapped} holds another certificate`);

    const u = await runLab(['--dir', lab.dir, 'trust', '--uninstall', '--nss'], { env });
    expect(u.exitCode, u.all).toBe(0);
    expect(u.stderr).toContain('now holds another certificate; left in place');
    const kept = await execa('certutil', ['-L', '-d', `sql:${swapped}`, '-n', lab.nick, '-a']);
    expect(new X509Certificate(kept.stdout).raw.equals(other.caDer)).toBe(true);
    expect((await execa('certutil', ['-L', '-d', `sql:${untouched}`, '-n', lab.nick], { reject: false })).exitCode).not.toBe(0);
  });
});

describe.runIf(process.platform === 'linux')('lab trust --java', () => {
  let root: string;
  let javaHome: string;
  let lab: TrustLab;
  let keytool: string;
  let keystore: string;

  beforeAll(async () => {
    root = await tempDir('lab-trust-java-');
    lab = await makeTrustLab(root, { https: 8443, tag: 'j' });
    javaHome = join(root, 'jdk');
    keystore = join(javaHome, 'lib', 'security', 'cacerts');
    await requireTool('keytool');
    keytool = await realpath((await onPath('keytool')) ?? 'keytool');
    // A private JDK layout: the real keytool, and a copy of its cacerts to change.
    await mkdir(join(javaHome, 'bin'), { recursive: true });
    await mkdir(join(javaHome, 'lib', 'security'), { recursive: true });
    await symlink(keytool, join(javaHome, 'bin', 'keytool'));
    await copyFile(await realpath(join(keytool, '..', '..', 'lib', 'security', 'cacerts')), keystore);
  });

  it('needs JAVA_HOME (exit 1 with a hint)', async () => {
    const r = await runLab(['--dir', lab.dir, 'trust', '--java'], { env: { JAVA_HOME: '' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/JAVA_HOME is not set/);
  });

  it('imports the CA with keytool, verifies the fingerprint, and removes it again', async () => {
    const env = { JAVA_HOME: javaHome };
    const r = await runLab(['--dir', lab.dir, 'trust', '--java'], { env });
    expect(r.exitCode, r.all).toBe(0);
    const list = await execa(keytool, ['-list', '-keystore', keystore, '-storepass', 'changeit', '-alias', lab.nick], { reject: false });
    expect(list.exitCode).toBe(0);
    expect(list.stdout.replace(/:/g, '').toLowerCase()).toContain(lab.fingerprint256);
    expect((await runLab(['--dir', lab.dir, 'trust', '--java'], { env })).stdout).toContain('already installed');
    const check = await runLab(['--dir', lab.dir, 'trust', '--check', '--java'], { env });
    expect(check.exitCode, check.all).toBe(0);

    const u = await runLab(['--dir', lab.dir, 'trust', '--uninstall', '--java'], { env });
    expect(u.exitCode, u.all).toBe(0);
    expect(
      (await execa(keytool, ['-list', '-keystore', keystore, '-storepass', 'changeit', '-alias', lab.nick], { reject: false })).exitCode,
    ).not.toBe(0);
    expect((await runLab(['--dir', lab.dir, 'trust', '--check', '--java'], { env })).exitCode).toBe(1);
  });
});
