import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { displayPath } from '../config/layout.js';
import { errnoCode, fail } from '../util/errors.js';
import { badCaFile } from './errors.js';
import { type CertFacts, inspectCertificate } from './inspect.js';
import { keyIdentifier } from './keys.js';
import { toPem } from './x509.js';

/** A CA that passed every check and can sign leaves. */
export interface LoadedCa {
  certPath: string;
  keyPath: string;
  x509: X509Certificate;
  facts: CertFacts;
  /** The certificate alone, as canonical PEM (what certs/tls/ca.pem holds). */
  pem: string;
  privateKey: KeyObject;
  /** The subjectKeyIdentifier, or the RFC 5280 method-1 value when the CA has none. */
  keyId: Buffer;
  /** Permission bits of the key file, for a warning when others may read it. */
  keyMode: number;
}

export interface CaPaths {
  caCert: string;
  caKey: string;
}

const REPLACE = 'run `lab certs --new-ca` to replace the CA (every lab and trust store that uses it must then trust the new one)';

/** Whether either CA file exists (used by --new-ca to tell "created" from "replaced"). */
export async function caExists(paths: CaPaths): Promise<boolean> {
  const exists = async (p: string) =>
    stat(p).then(
      () => true,
      (err: unknown) => errnoCode(err) !== 'ENOENT',
    );
  const [cert, key] = await Promise.all([exists(paths.caCert), exists(paths.caKey)]);
  return cert || key;
}

/**
 * Reads and validates the CA. Returns undefined when neither file exists; throws a
 * LabError naming the file (exit code 2, see errors.ts) for anything unusable.
 */
export async function loadCa(paths: CaPaths, now: Date): Promise<LoadedCa | undefined> {
  const [certBuf, keyBuf] = await Promise.all([readCaFile(paths.caCert), readCaFile(paths.caKey)]);
  if (!certBuf && !keyBuf) return undefined;
  if (!certBuf) {
    throw badCaFile(
      `${displayPath(paths.caKey)} exists but the CA certificate ${basename(paths.caCert)} next to it is missing`,
      `Restore ${basename(paths.caCert)}, or ${REPLACE}.`,
    );
  }
  if (!keyBuf) {
    throw badCaFile(
      `${displayPath(paths.caCert)} exists but its key ${basename(paths.caKey)} is missing, so lab cannot sign with this CA`,
      `Restore ${basename(paths.caKey)}, point --caroot at the folder that has both files, or ${REPLACE}.`,
    );
  }

  let x509: X509Certificate;
  let facts: CertFacts;
  try {
    x509 = new X509Certificate(certBuf);
    facts = inspectCertificate(x509.raw);
  } catch {
    throw badCaFile(`${displayPath(paths.caCert)} is not a readable PEM certificate`, `Restore it from a backup, or ${REPLACE}.`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyBuf);
  } catch (err) {
    // OpenSSL reports a missing passphrase in several ways; the PEM header is the reliable tell.
    const encrypted =
      errnoCode(err) === 'ERR_MISSING_PASSPHRASE' || /ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(keyBuf.toString('latin1'));
    throw badCaFile(
      encrypted
        ? `${displayPath(paths.caKey)} is encrypted; lab needs an unencrypted key`
        : `${displayPath(paths.caKey)} is not a readable PEM private key`,
      encrypted
        ? `Decrypt it (openssl pkey -in ${basename(paths.caKey)} -out …), or ${REPLACE}.`
        : `Restore it from a backup, or ${REPLACE}.`,
    );
  }

  const type = x509.publicKey.asymmetricKeyType;
  if (type !== 'rsa') {
    const name = type === 'ec' ? 'an ECDSA' : `a${/^[aeiou]/.test(type ?? '') ? 'n' : ''} ${type ?? 'unknown'}`;
    throw badCaFile(
      `${displayPath(paths.caCert)} is ${name} CA; lab signs with RSA CAs only (sha256WithRSAEncryption)`,
      `Use an RSA CA (mkcert makes RSA CAs), or ${REPLACE}.`,
    );
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw badCaFile(
      `${displayPath(paths.caKey)} is not the key of ${displayPath(paths.caCert)}`,
      `Put the matching key next to the certificate, or ${REPLACE}.`,
    );
  }
  if (!x509.ca || !facts.basicConstraints?.ca) {
    throw badCaFile(
      `${displayPath(paths.caCert)} is not a CA certificate (basicConstraints CA:TRUE is missing)`,
      `Point --caroot at a real CA, or ${REPLACE}.`,
    );
  }
  if (facts.keyUsage && !facts.keyUsage.bits.includes('keyCertSign')) {
    throw badCaFile(
      `${displayPath(paths.caCert)} may not sign certificates (its keyUsage lacks keyCertSign)`,
      `Point --caroot at a real CA, or ${REPLACE}.`,
    );
  }
  if (!x509.checkIssued(x509) || !x509.verify(x509.publicKey)) {
    throw badCaFile(
      `${displayPath(paths.caCert)} is not a self-signed root CA`,
      `lab needs the root itself, as trust stores do; point --caroot at it, or ${REPLACE}.`,
    );
  }
  if (facts.unknownCritical.length > 0) {
    throw badCaFile(
      `${displayPath(paths.caCert)} has critical extensions lab does not know (${facts.unknownCritical.join(', ')}); verifiers would reject its certificates`,
      `Use another CA, or ${REPLACE}.`,
    );
  }
  if (facts.notAfter.getTime() <= now.getTime()) {
    throw badCaFile(
      `${displayPath(paths.caCert)} expired on ${facts.notAfter.toISOString()}`,
      `An expired CA cannot vouch for anything; ${REPLACE}.`,
    );
  }
  if (facts.notBefore.getTime() > now.getTime()) {
    throw badCaFile(
      `${displayPath(paths.caCert)} is not valid before ${facts.notBefore.toISOString()}`,
      `Check the system clock, or ${REPLACE}.`,
    );
  }

  const keyMode = (await stat(paths.caKey)).mode & 0o777;
  return {
    certPath: paths.caCert,
    keyPath: paths.caKey,
    x509,
    facts,
    pem: toPem(x509.raw),
    privateKey,
    keyId: facts.subjectKeyId ?? keyIdentifier(x509.publicKey),
    keyMode,
  };
}

async function readCaFile(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' || code === 'EPERM') {
      throw badCaFile(
        `cannot read ${displayPath(path)}: permission denied`,
        'Run lab as the user who owns the CA, or fix the file owner and mode (the key should be 0400 for its owner).',
      );
    }
    if (code === 'EISDIR')
      throw badCaFile(`${displayPath(path)} is a folder, not a file`, `Move it away, or point --caroot at a CA folder.`);
    throw fail(`cannot read ${displayPath(path)}: ${code ?? String(err)}`, 'Check the disk and the file system.');
  }
}
