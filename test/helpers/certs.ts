import { createHash, X509Certificate } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import { execa } from 'execa';
import { type LabRun, runLab } from './cli.js';

/** The files of one lab's certs, as `paths` in src/config/paths.ts lays them out. */
export function certFiles(dir: string, caroot = join(dir, 'certs', 'ca')) {
  return {
    caCert: join(caroot, 'rootCA.pem'),
    caKey: join(caroot, 'rootCA-key.pem'),
    leafCert: join(dir, 'certs', 'tls', 'lab.pem'),
    leafKey: join(dir, 'certs', 'tls', 'lab-key.pem'),
    tlsCa: join(dir, 'certs', 'tls', 'ca.pem'),
  };
}

/** `lab --dir <dir> certs …`, run from inside the lab folder. */
export function labCerts(dir: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<LabRun> {
  return runLab(['--dir', dir, 'certs', ...args], { cwd: dir, env: { LAB_CAROOT: undefined, ...env } });
}

/** Fails the test with the CLI's own output when it did not exit as expected. */
export function expectExit(run: LabRun, code: number): LabRun {
  if (run.exitCode !== code) throw new Error(`expected exit ${code}, got ${run.exitCode}:\n${run.all}`);
  return run;
}

export async function writeLabYml(dir: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'lab.yml'), text);
}

/** `cp -a`: bytes, modes and mtimes preserved, so a copied lab is as good as the original. */
export async function copyTree(from: string, to: string): Promise<void> {
  await execa('cp', ['-a', from, to]);
}

export interface FileState {
  sha256: string;
  mode: number;
  mtimeMs: number;
}

/** Every file under the given folders: content hash, mode and mtime. */
export async function snapshot(...roots: string[]): Promise<Record<string, FileState>> {
  const out: Record<string, FileState> = {};
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path).catch(() => undefined);
    if (!st) return;
    if (st.isDirectory()) {
      for (const entry of await readdir(path)) await walk(join(path, entry));
      return;
    }
    out[path] = {
      sha256: createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
      mode: st.mode & 0o7777,
      mtimeMs: st.mtimeMs,
    };
  };
  for (const root of roots) await walk(root);
  return out;
}

export async function modeOf(path: string): Promise<number> {
  return (await lstat(path)).mode & 0o777;
}

export async function openssl(args: string[], options: { input?: string } = {}) {
  return execa('openssl', args, { reject: false, all: true, ...(options.input === undefined ? {} : { input: options.input }) });
}

/** `openssl verify -x509_strict -CAfile ca cert`, returning its combined output and exit code. */
export async function verify(caFile: string, certFile: string) {
  const r = await openssl(['verify', '-x509_strict', '-CAfile', caFile, certFile]);
  return { ok: r.exitCode === 0, output: r.all ?? '' };
}

export async function fingerprintOf(pemFile: string): Promise<string> {
  return new X509Certificate(await readFile(pemFile)).fingerprint256;
}

export interface Handshake {
  ok: boolean;
  /** The client's error code when it refused, e.g. ERR_TLS_CERT_ALTNAME_INVALID. */
  code: string | undefined;
}

/**
 * A real TLS handshake: a Node server presents the leaf, a client that trusts only
 * the CA connects asking for `servername` (SNI and hostname check).
 */
export async function handshake(files: { key: string; cert: string; ca: string }, servername: string): Promise<Handshake> {
  const [key, cert, ca] = await Promise.all([readFile(files.key), readFile(files.cert), readFile(files.ca)]);
  const server = createServer({ key, cert }, (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Handshake>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, servername, ca: [ca] }, () => {
        resolve({ ok: socket.authorized, code: undefined });
        socket.end();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, code: err.code }));
    });
  } finally {
    server.close();
  }
}

/** Text of `openssl x509 -text`. */
export async function certText(pemFile: string): Promise<string> {
  const r = await openssl(['x509', '-in', pemFile, '-noout', '-text']);
  if (r.exitCode !== 0) throw new Error(r.all);
  return r.stdout;
}

/**
 * A certificate the test signs itself with the CA key, the way anyone holding the
 * key could (openssl req + openssl x509 -req), for the given DNS name.
 */
export async function signWithCaKey(dir: string, caCert: string, caKey: string, dnsName: string): Promise<string> {
  const base = join(dir, dnsName.replace(/[^a-z0-9.-]/gi, '_'));
  const req = await openssl([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${base}.key`,
    '-out',
    `${base}.csr`,
    '-subj',
    '/O=self-signed by the test',
    '-addext',
    `subjectAltName=DNS:${dnsName}`,
  ]);
  if (req.exitCode !== 0) throw new Error(req.all);
  const sign = await openssl([
    'x509',
    '-req',
    '-in',
    `${base}.csr`,
    '-CA',
    caCert,
    '-CAkey',
    caKey,
    '-set_serial',
    '4242',
    '-days',
    '2',
    '-copy_extensions',
    'copy',
    '-out',
    `${base}.pem`,
  ]);
  if (sign.exitCode !== 0) throw new Error(sign.all);
  return `${base}.pem`;
}

/**
 * Some other RSA root CA, made by openssl without name constraints (like mkcert's),
 * for tests that only need "a different CA". RSA 2048 keeps it quick.
 */
export async function opensslCa(caroot: string, name: string): Promise<void> {
  await mkdir(caroot, { recursive: true });
  const r = await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '30',
    '-subj',
    `/O=${name}`,
    '-keyout',
    join(caroot, 'rootCA-key.pem'),
    '-out',
    join(caroot, 'rootCA.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  if (r.exitCode !== 0) throw new Error(r.all);
}
