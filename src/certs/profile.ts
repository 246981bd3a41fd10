import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { KeyUsage } from './inspect.js';

/**
 * The certificate profile of lab's CA and leaf, in one place (mkcert's cert.go
 * plays this role there). Everything here is data; x509.ts encodes and signs it.
 *
 * Differences from mkcert, on purpose: the CA carries critical nameConstraints, so
 * a CA that users install into their trust store cannot vouch for example.com
 * (FiloSottile/mkcert#302, #377), and its basicConstraints are marked critical.
 */

export const CA_KEY_BITS = 3072;
export const LEAF_KEY_BITS = 2048;
export const CA_VALIDITY_YEARS = 10;
/** Apple rejects TLS server certificates valid for longer (https://support.apple.com/en-us/HT210176). */
export const MAX_LEAF_DAYS = 825;
/** A leaf with fewer days left is reissued. */
export const RENEW_WITHIN_DAYS = 30;
/** Both certificates start an hour early, so a container whose clock lags a little still accepts them. */
export const CLOCK_SKEW_MS = 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export type NameAttribute = { shortName: 'CN' | 'O' | 'OU'; value: string };

/** Extensions as plain data; x509.ts turns each kind into its DER encoding. */
export type Extension =
  | { kind: 'basicConstraints'; critical: true; ca: boolean; pathLen?: number }
  | { kind: 'keyUsage'; critical: true; usages: KeyUsage[] }
  | { kind: 'extKeyUsage'; critical: false; usages: ('serverAuth' | 'clientAuth')[] }
  | { kind: 'subjectKeyIdentifier'; critical: false; keyId: Buffer }
  | { kind: 'authorityKeyIdentifier'; critical: false; keyId: Buffer }
  | { kind: 'subjectAltName'; critical: false; names: string[] }
  | { kind: 'nameConstraints'; critical: true; dns: string[]; ip: string[] };

export interface CertTemplate {
  /** Positive, minimally encoded INTEGER contents. */
  serial: Buffer;
  subject: NameAttribute[];
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

export interface CaProfileInput {
  labName: string;
  now: Date;
  /** SHA-1 of the CA's public key (RFC 5280 4.2.1.2, method 1). */
  keyId: Buffer;
  permittedDomains: string[];
  permittedIps: string[];
}

export function caProfile(input: CaProfileInput): CertTemplate {
  const notBefore = wholeSeconds(input.now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(input.now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  return {
    serial: randomSerial(),
    subject: [
      { shortName: 'O', value: 'lab development CA' },
      { shortName: 'OU', value: userAndHost() },
      { shortName: 'CN', value: `lab ${input.labName} CA` },
    ],
    notBefore,
    notAfter: wholeSeconds(notAfter.getTime()),
    extensions: [
      // pathlen:0 — this CA signs leaves only, never another CA.
      { kind: 'basicConstraints', critical: true, ca: true, pathLen: 0 },
      { kind: 'keyUsage', critical: true, usages: ['keyCertSign', 'cRLSign'] },
      { kind: 'subjectKeyIdentifier', critical: false, keyId: input.keyId },
      // RFC 5280 4.2.1.10: conforming CAs MUST mark this extension critical.
      { kind: 'nameConstraints', critical: true, dns: input.permittedDomains, ip: input.permittedIps },
    ],
  };
}

export interface LeafProfileInput {
  names: string[];
  /** A server certificate (the default) or a client certificate (EKU clientAuth, no names). */
  usage?: 'serverAuth' | 'clientAuth';
  /** A CN for client certificates, which have no SANs to name them. */
  commonName?: string;
  now: Date;
  days: number;
  /** The CA's subjectKeyIdentifier, repeated as the leaf's authorityKeyIdentifier. */
  caKeyId: Buffer;
  caNotAfter: Date;
}

export function leafProfile(input: LeafProfileInput): CertTemplate {
  const notBefore = wholeSeconds(input.now.getTime() - CLOCK_SKEW_MS);
  const days = Math.min(input.days, MAX_LEAF_DAYS);
  // Counted from notBefore, so that the whole validity period stays within Apple's limit;
  // and never past the CA's own end, since nothing verifies after that anyway.
  const notAfter = wholeSeconds(Math.min(notBefore.getTime() + days * DAY_MS, input.caNotAfter.getTime()));
  return {
    serial: randomSerial(),
    // No CN: verifiers match SANs only (RFC 6125), and a CN would be checked against
    // the name constraints by some of them for no benefit. mkcert omits it too.
    subject: [
      { shortName: 'O', value: 'lab development certificate' },
      { shortName: 'OU', value: userAndHost() },
      ...(input.commonName ? [{ shortName: 'CN' as const, value: input.commonName }] : []),
    ],
    notBefore,
    notAfter,
    extensions: [
      { kind: 'keyUsage', critical: true, usages: ['digitalSignature', 'keyEncipherment'] },
      { kind: 'extKeyUsage', critical: false, usages: [input.usage ?? 'serverAuth'] },
      { kind: 'basicConstraints', critical: true, ca: false },
      { kind: 'authorityKeyIdentifier', critical: false, keyId: input.caKeyId },
      ...(input.names.length > 0 ? [{ kind: 'subjectAltName' as const, critical: false as const, names: input.names }] : []),
    ],
  };
}

/** A random positive serial of 128 bits, in minimal two's-complement DER form. */
export function randomSerial(): Buffer {
  let bytes = randomBytes(16);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  // A set top bit would read as negative: prefix a zero byte.
  return (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : Buffer.from(bytes);
}

/** `user@host`, as mkcert writes it into the OU, so that people can tell whose CA it is. */
export function userAndHost(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (e.g. an arbitrary uid in a container).
    user = process.env.USER ?? process.env.LOGNAME ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

function wholeSeconds(ms: number): Date {
  return new Date(Math.floor(ms / 1000) * 1000);
}

export function daysBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / DAY_MS;
}
