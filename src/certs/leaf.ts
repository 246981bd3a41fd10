import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { LabModel } from '../config/model.js';
import { errnoCode } from '../util/errors.js';
import { replaceAll } from './files.js';
import { type CertFacts, inspectCertificate } from './inspect.js';
import { formatIp, ipBytes } from './ip.js';
import { type KeyPair, type KeyPool, privateKeyPem } from './keys.js';
import type { LoadedCa } from './load.js';
import { daysBetween, LEAF_KEY_BITS, leafProfile, RENEW_WITHIN_DAYS } from './profile.js';
import { buildCertificate, loadForge, selfCheck, toPem } from './x509.js';

export const LEAF_CERT_MODE = 0o644;
export const LEAF_KEY_MODE = 0o600;

export interface Leaf {
  x509: X509Certificate;
  facts: CertFacts;
}

export interface LeafVerdict {
  /** Whether a leaf (or part of one) was on disk. */
  existed: boolean;
  /** Why a new leaf is needed; undefined means the one on disk is reused. */
  reason: string | undefined;
  current: Leaf | undefined;
  /** The leaf's key pair, when it was readable and matched the certificate on disk. */
  key: KeyPair | undefined;
}

export interface LeafPaths {
  leafCert: string;
  leafKey: string;
}

export interface JudgeOptions {
  caIsNew: boolean;
  /** The SANs the leaf must carry. */
  names: string[];
  now: Date;
  /** Why the caller forces a reissue (a flag), if it does. */
  forced: string | undefined;
}

/**
 * Decides whether the leaf on disk can stay. The leaf is lab's own output, so a
 * damaged one is simply reissued (unlike the CA, which may be the user's).
 */
export async function judgeLeaf(paths: LeafPaths, ca: LoadedCa, options: JudgeOptions): Promise<LeafVerdict> {
  const [certBuf, keyBuf] = await Promise.all([readLeafFile(paths.leafCert), readLeafFile(paths.leafKey)]);
  const certName = basename(paths.leafCert);
  const keyName = basename(paths.leafKey);
  const existed = certBuf !== 'missing' || keyBuf !== 'missing';
  let pair: KeyPair | undefined;
  const verdict = (reason: string | undefined, current?: Leaf): LeafVerdict => ({ existed, reason, current, key: pair });
  if (!existed) return verdict('no certificate yet');
  if (certBuf === 'missing') return verdict(`${certName} was missing`);
  if (keyBuf === 'missing') return verdict(`${keyName} was missing`);
  if (certBuf === 'unreadable') return verdict(`${certName} could not be read`);
  if (keyBuf === 'unreadable') return verdict(`${keyName} could not be read`);

  let leaf: Leaf;
  let key: KeyObject;
  try {
    const x509 = new X509Certificate(certBuf);
    leaf = { x509, facts: inspectCertificate(x509.raw) };
  } catch {
    return verdict(`${certName} was not a readable certificate`);
  }
  try {
    key = createPrivateKey(keyBuf);
  } catch {
    return verdict(`${keyName} was not a readable key`);
  }
  if (!leaf.x509.checkPrivateKey(key)) return verdict(`${keyName} did not match ${certName}`);
  if (isReusableKey(key)) pair = { privateKey: key, publicKey: createPublicKey(key) };
  if (options.caIsNew) return verdict('the CA is new', leaf);
  if (!issuedBy(leaf, ca)) return verdict('it was issued by a different CA', leaf);

  const diff = nameDiff(leaf.facts.altNames, options.names);
  if (diff) return verdict(`the SANs changed (${diff})`, leaf);
  const left = daysBetween(options.now, leaf.facts.notAfter);
  if (left <= 0) return verdict(`it expired on ${leaf.facts.notAfter.toISOString().slice(0, 10)}`, leaf);
  if (left < RENEW_WITHIN_DAYS) return verdict(`it expires in ${Math.floor(left)} days (fewer than ${RENEW_WITHIN_DAYS})`, leaf);
  if (leaf.facts.notBefore.getTime() > options.now.getTime())
    return verdict(`it is not valid before ${leaf.facts.notBefore.toISOString()}`, leaf);
  if (options.forced) return verdict(options.forced, leaf);
  return verdict(undefined, leaf);
}

/** Same issuer name, a signature that verifies with the CA key, and matching key identifiers. */
function issuedBy(leaf: Leaf, ca: LoadedCa): boolean {
  if (!leaf.x509.checkIssued(ca.x509) || !leaf.x509.verify(ca.x509.publicKey)) return false;
  const aki = leaf.facts.authorityKeyId;
  return aki === undefined || aki.equals(ca.keyId);
}

/** "added a, b; removed c", or undefined when the sets are equal (order and case do not matter). */
export function nameDiff(current: string[], wanted: string[]): string | undefined {
  const norm = (n: string) => {
    const ip = ipBytes(n);
    return ip ? formatIp(ip) : n.toLowerCase();
  };
  const have = new Set(current.map(norm));
  const want = new Set(wanted.map(norm));
  const added = [...want].filter((n) => !have.has(n));
  const removed = [...have].filter((n) => !want.has(n));
  if (added.length === 0 && removed.length === 0) return undefined;
  return [added.length > 0 ? `added ${added.join(', ')}` : '', removed.length > 0 ? `removed ${removed.join(', ')}` : '']
    .filter(Boolean)
    .join('; ');
}

/** Only a key of the leaf profile's kind and size is kept; anything else is replaced. */
function isReusableKey(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= LEAF_KEY_BITS;
}

/**
 * Issues a new leaf signed by `ca` and puts key and certificate in place together;
 * `keep` reuses an existing key pair instead of generating one.
 */
export async function issueLeaf(model: LabModel, ca: LoadedCa, now: Date, keys: KeyPool, keep?: KeyPair): Promise<Leaf> {
  // forge loads on this thread while OpenSSL generates the key on the thread pool.
  const forgeReady = loadForge();
  const pair = keep ?? (await keys.take('leaf'));
  await forgeReady;
  const template = leafProfile({
    names: model.certs.leafNames,
    now,
    days: model.certs.leafDays,
    caKeyId: ca.keyId,
    caNotAfter: ca.facts.notAfter,
  });
  const der = await buildCertificate(template, pair.publicKey, { privateKey: ca.privateKey, subjectDer: ca.facts.subjectDer });
  const x509 = selfCheck(der, ca.x509, ca.x509.publicKey);
  await replaceAll([
    { path: model.paths.leafKey, content: privateKeyPem(pair.privateKey), mode: LEAF_KEY_MODE },
    { path: model.paths.leafCert, content: toPem(der), mode: LEAF_CERT_MODE },
  ]);
  return { x509, facts: inspectCertificate(der) };
}

async function readLeafFile(path: string): Promise<Buffer | 'missing' | 'unreadable'> {
  try {
    return await readFile(path);
  } catch (err) {
    return errnoCode(err) === 'ENOENT' ? 'missing' : 'unreadable';
  }
}
