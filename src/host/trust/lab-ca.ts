import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { LabModel } from '../../config/model.js';
import { errnoCode, fail } from '../../util/errors.js';

/** The lab CA as the trust stores need it. */
export interface LabCa {
  /** rootCA.pem, the file that gets installed. */
  path: string;
  der: Buffer;
  /** SHA-256 of the DER, lower-case hex without colons. */
  fingerprint256: string;
  /** SHA-1 of the DER, upper-case hex without colons (macOS and Windows name certificates by it). */
  sha1: string;
  subject: string;
  /**
   * The name the CA carries in every store: lab name plus CA identity, so two labs
   * (or a renewed CA) never overwrite each other's entry.
   */
  nick: string;
}

export function caNickname(labName: string, fingerprint256: string): string {
  return `lab-${labName}-${fingerprint256.slice(0, 8)}`;
}

/** A fingerprint as Node and keytool print it (`AB:CD:…`), as lab records it: lower-case hex without colons. */
export const hexFingerprint = (colonHex: string) => colonHex.replace(/:/g, '').toLowerCase();

/** Parses the first certificate of a PEM or DER buffer; undefined when it is none. */
export function parseCertificate(data: Buffer | string): X509Certificate | undefined {
  try {
    return new X509Certificate(data);
  } catch {
    return undefined;
  }
}

/** Whether `data` holds exactly this certificate (whatever the PEM wrapping). */
export function isSameCertificate(data: Buffer | string | undefined, der: Buffer): boolean {
  if (data === undefined) return false;
  const cert = parseCertificate(data);
  return cert?.raw.equals(der) === true;
}

/** SHA-256 (lower-case hex) of the certificate in `data`, or undefined when there is none. */
export function fingerprintOf(data: Buffer | string): string | undefined {
  const cert = parseCertificate(data);
  return cert ? hexFingerprint(cert.fingerprint256) : undefined;
}

export async function loadLabCa(model: LabModel): Promise<LabCa> {
  const path = model.paths.caCert;
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT')
      throw fail(`no lab CA at ${path}`, 'Run `lab certs` first: it creates the CA that lab trust installs.');
    throw fail(`cannot read the lab CA at ${path}: ${errnoCode(err) ?? String(err)}`, 'Check the file permissions.');
  }
  const cert = parseCertificate(data);
  if (!cert)
    throw fail(
      `${path} holds no certificate`,
      'Restore the CA, or run `lab certs --new-ca` to replace it (every trust store then needs `lab trust` again).',
    );
  if (!cert.ca) throw fail(`${path} is not a CA certificate`, 'Point certs.caroot (or --caroot) at a CA folder with rootCA.pem.');
  const fingerprint256 = hexFingerprint(cert.fingerprint256);
  return {
    path,
    der: cert.raw,
    fingerprint256,
    sha1: hexFingerprint(cert.fingerprint).toUpperCase(),
    subject: cert.subject.replace(/\n/g, ', '),
    nick: caNickname(model.name, fingerprint256),
  };
}

/** The DER of every certificate in a PEM bundle (e.g. /etc/ssl/certs/ca-certificates.crt). */
export function bundleCertificates(pem: string): Buffer[] {
  const out: Buffer[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(pem); m; m = re.exec(pem)) out.push(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  return out;
}
