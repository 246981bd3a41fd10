import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { certFiles, copyTree, expectExit, fingerprintOf, labCerts, modeOf, openssl, snapshot, verify } from '../helpers/certs.js';
import { LAB_BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/*
 * Every bad CA gets exit code 2 (the rule is written down in src/certs/errors.ts),
 * a message naming the file, a hint, and no change on disk at all.
 * One good lab is minted once; each case corrupts its own copy.
 */
// tempDir registers its clean-up with afterAll, so it is called at the top level, not in a hook.
const root = await tempDir('lab-certs-bad-');
const golden = join(root, 'golden');

beforeAll(async () => {
  await mkdir(golden);
  expectExit(await labCerts(golden), 0);
});

let cases = 0;
async function labCopy(): Promise<{ dir: string; files: ReturnType<typeof certFiles> }> {
  const dir = join(root, `case-${++cases}`);
  await copyTree(golden, dir);
  return { dir, files: certFiles(dir) };
}

/** Replaces a file's content but keeps its mode (the key is 0400, so chmod around the write). */
async function overwrite(path: string, content: string | Buffer): Promise<void> {
  const mode = await modeOf(path);
  await chmod(path, 0o600);
  await writeFile(path, content);
  await chmod(path, mode);
}

async function expectRefused(dir: string, file: RegExp | string, message: RegExp) {
  const before = await snapshot(dir);
  const run = await labCerts(dir);
  expect(run.exitCode, run.all).toBe(2);
  const [errorLine, hintLine] = run.stderr.split('\n');
  expect(errorLine).toMatch(/^lab: error: /);
  if (typeof file === 'string') expect(errorLine).toContain(file);
  else expect(errorLine).toMatch(file);
  expect(errorLine).toMatch(message);
  expect(hintLine).toMatch(/^hint: \S/);
  expect(run.stdout).toBe('');
  expect(await snapshot(dir)).toEqual(before);
  return run;
}

describe('lab certs refuses a bad CA and changes nothing', () => {
  it('a corrupt CA certificate', async () => {
    const { dir, files } = await labCopy();
    await overwrite(files.caCert, 'this is not a certificate\n');
    const run = await expectRefused(dir, 'certs/ca/rootCA.pem', /is not a readable PEM certificate/);
    expect(run.stderr).toContain('--new-ca');
  });

  it('a truncated CA certificate', async () => {
    const { dir, files } = await labCopy();
    const pem = await readFile(files.caCert, 'utf8');
    await overwrite(files.caCert, `${pem.slice(0, 700)}\n-----END CERTIFICATE-----\n`);
    await expectRefused(dir, 'certs/ca/rootCA.pem', /is not a readable PEM certificate/);
  });

  it('a corrupt CA key', async () => {
    const { dir, files } = await labCopy();
    await overwrite(files.caKey, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    await expectRefused(dir, 'certs/ca/rootCA-key.pem', /is not a readable PEM private key/);
  });

  it('an encrypted CA key', async () => {
    const { dir, files } = await labCopy();
    const enc = await openssl(['pkey', '-in', files.caKey, '-aes256', '-passout', 'pass:not-for-lab']);
    expect(enc.exitCode).toBe(0);
    await overwrite(files.caKey, enc.stdout);
    await expectRefused(dir, 'certs/ca/rootCA-key.pem', /is encrypted/);
  });

  it('a key that does not belong to the certificate', async () => {
    const { dir, files } = await labCopy();
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    await overwrite(files.caKey, other);
    await expectRefused(dir, /certs\/ca\/rootCA-key\.pem is not the key of certs\/ca\/rootCA\.pem/, /./);
  });

  it('a certificate without its key', async () => {
    const { dir, files } = await labCopy();
    await rm(files.caKey);
    await expectRefused(dir, 'certs/ca/rootCA.pem', /its key rootCA-key\.pem is missing/);
  });

  it('a key without its certificate', async () => {
    const { dir, files } = await labCopy();
    await rm(files.caCert);
    await expectRefused(dir, 'certs/ca/rootCA-key.pem', /rootCA\.pem next to it is missing/);
  });

  it('an expired CA', async () => {
    const { dir, files } = await labCopy();
    const ca = selfSignedCa({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z'), ca: true });
    await overwrite(files.caCert, ca.cert);
    await overwrite(files.caKey, ca.key);
    const run = await expectRefused(dir, 'certs/ca/rootCA.pem', /expired on 2021-01-01/);
    expect(run.stderr).toContain('--new-ca');
  });

  it('a certificate that is not a CA', async () => {
    const { dir, files } = await labCopy();
    const ca = selfSignedCa({ notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000), ca: false });
    await overwrite(files.caCert, ca.cert);
    await overwrite(files.caKey, ca.key);
    await expectRefused(dir, 'certs/ca/rootCA.pem', /is not a CA certificate/);
  });

  it('an ECDSA CA', async () => {
    const { dir, files } = await labCopy();
    await rm(files.caCert);
    await rm(files.caKey);
    const made = await openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      files.caKey,
      '-out',
      files.caCert,
      '-days',
      '30',
      '-subj',
      '/O=ecdsa CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    expect(made.exitCode, made.all).toBe(0);
    await expectRefused(dir, 'certs/ca/rootCA.pem', /is an ECDSA CA; lab signs with RSA CAs only/);
  });

  it('an unreadable CA key (permissions)', async () => {
    const { dir, files } = await labCopy();
    const env = { NO_COLOR: '1', LAB_CAROOT: undefined };
    const asRoot = process.getuid?.() === 0;
    // root reads everything: then lab runs as nobody, with the folders open to it but
    // not the 0400 key, which root owns. Otherwise the key's mode shuts the owner out.
    if (asRoot) {
      for (const d of [root, dir, join(dir, 'certs'), join(dir, 'certs', 'ca'), join(dir, 'certs', 'tls')]) await chmod(d, 0o755);
      // Every command takes the lab folder's lock in .lab/ first.
      await mkdir(join(dir, '.lab'), { recursive: true });
      await chmod(join(dir, '.lab'), 0o777);
    } else await chmod(files.caKey, 0o000);
    const before = await snapshot(dir);
    const run = asRoot
      ? await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, LAB_BIN, '--dir', dir, 'certs'], {
          cwd: dir,
          env,
          reject: false,
        })
      : await execa(process.execPath, [LAB_BIN, '--dir', dir, 'certs'], { cwd: dir, env, reject: false });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(2);
    expect(run.stderr).toMatch(/^lab: error: cannot read certs\/ca\/rootCA-key\.pem: permission denied$/m);
    expect(run.stderr).toMatch(/^hint: /m);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('--new-ca replaces a broken CA on purpose', async () => {
    const { dir, files } = await labCopy();
    const old = await fingerprintOf(files.caCert);
    await rm(files.caKey);
    const run = expectExit(await labCerts(dir, ['--new-ca']), 0);
    expect(run.stdout).toMatch(/^CA\s+replaced/m);
    expect(await fingerprintOf(files.caCert)).not.toBe(old);
    expect(await modeOf(files.caKey)).toBe(0o400);
    expect((await verify(files.caCert, files.leafCert)).ok).toBe(true);
  });
});

describe('lab certs in an environment that will not cooperate', () => {
  it('exits 1 when it cannot write, after checking everything, and keeps the CA', async () => {
    const { dir } = await labCopy();
    await rm(join(dir, 'certs', 'tls'), { recursive: true });
    // A file where the certs/tls folder should be: nothing lab can fix by itself.
    await writeFile(join(dir, 'certs', 'tls'), 'in the way\n');
    const before = await snapshot(dir);
    const run = await labCerts(dir);
    expect(run.exitCode, run.all).toBe(1);
    expect(run.stderr).toMatch(/^lab: error: cannot write certs\/tls\/ca\.pem: ENOTDIR$/m);
    expect(await snapshot(dir)).toEqual(before);
  });
});

/** A self-signed RSA certificate with the given dates, made with forge (test fixtures only). */
function selfSignedCa(options: { notBefore: Date; notAfter: Date; ca: boolean }): { cert: string; key: string } {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '0a1b2c';
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = options.notAfter;
  const name = [{ shortName: 'O', value: 'test fixture CA' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', critical: true, cA: options.ca },
    { name: 'keyUsage', critical: true, keyCertSign: options.ca, digitalSignature: !options.ca },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
