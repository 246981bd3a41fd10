import { decodeNameConstraints, type NameConstraints } from './constraints.js';
import { children, type Der, decodeOid, decodeTime, expect, GENERAL_NAME, parseDer, TAG } from './der.js';
import { formatIp } from './ip.js';

/** What lab needs to know about an existing certificate, read from its DER. */
export interface CertFacts {
  /** The encoded subject Name, reused byte for byte as the issuer of leaves. */
  subjectDer: Buffer;
  issuerDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  basicConstraints: { ca: boolean; pathLen: number | undefined; critical: boolean } | undefined;
  keyUsage: { bits: KeyUsage[]; critical: boolean } | undefined;
  subjectKeyId: Buffer | undefined;
  authorityKeyId: Buffer | undefined;
  /** SANs: DNS names and IP addresses (formatted). */
  altNames: string[];
  nameConstraints: NameConstraints | undefined;
  /** Critical extensions lab does not interpret (a verifier that does not know them rejects the chain). */
  unknownCritical: string[];
}

export const KEY_USAGE = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsage = (typeof KEY_USAGE)[number];

export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

const KNOWN = new Set<string>(Object.values(OID));

/** Reads a DER certificate. Throws DerError when the structure is not a certificate. */
export function inspectCertificate(der: Buffer): CertFacts {
  const [tbs] = children(expect(parseDer(der), TAG.SEQUENCE, 'a certificate'));
  const fields = children(expect(tbs, TAG.SEQUENCE, 'a TBSCertificate'));
  // version [0] is optional (absent means v1); everything after it is positional.
  const start = fields[0]?.tag === 0xa0 ? 1 : 0;
  const at = (i: number): Der | undefined => fields[start + i];
  const issuer = expect(at(2), TAG.SEQUENCE, 'an issuer name');
  const validity = children(expect(at(3), TAG.SEQUENCE, 'a validity period'));
  const subject = expect(at(4), TAG.SEQUENCE, 'a subject name');
  const facts: CertFacts = {
    subjectDer: Buffer.from(subject.raw),
    issuerDer: Buffer.from(issuer.raw),
    notBefore: decodeTime(validity[0] ?? issuer),
    notAfter: decodeTime(validity[1] ?? issuer),
    basicConstraints: undefined,
    keyUsage: undefined,
    subjectKeyId: undefined,
    authorityKeyId: undefined,
    altNames: [],
    nameConstraints: undefined,
    unknownCritical: [],
  };
  const extensions = fields.slice(start + 6).find((f) => f.tag === 0xa3);
  if (!extensions) return facts;
  for (const ext of children(expect(children(extensions)[0], TAG.SEQUENCE, 'extensions'))) {
    const parts = children(ext);
    const oid = decodeOid(expect(parts[0], TAG.OID, 'an extension id'));
    const hasFlag = parts[1]?.tag === TAG.BOOLEAN;
    const critical = hasFlag && parts[1]?.content[0] !== 0;
    const value = expect(parts[hasFlag ? 2 : 1], TAG.OCTET_STRING, 'an extension value').content;
    readExtension(facts, oid, critical, value);
  }
  return facts;
}

function readExtension(facts: CertFacts, oid: string, critical: boolean, value: Buffer): void {
  switch (oid) {
    case OID.basicConstraints: {
      const items = children(parseDer(value));
      const ca = items[0]?.tag === TAG.BOOLEAN && items[0].content[0] !== 0;
      const len = items.find((i) => i.tag === TAG.INTEGER);
      facts.basicConstraints = { ca, pathLen: len ? len.content.readUIntBE(0, Math.min(len.content.length, 6)) : undefined, critical };
      return;
    }
    case OID.keyUsage: {
      const bits = expect(parseDer(value), TAG.BIT_STRING, 'key usage bits').content.subarray(1);
      const set = KEY_USAGE.filter((_, i) => (((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) === 1);
      facts.keyUsage = { bits: set, critical };
      return;
    }
    case OID.subjectKeyIdentifier:
      facts.subjectKeyId = Buffer.from(expect(parseDer(value), TAG.OCTET_STRING, 'a key identifier').content);
      return;
    case OID.authorityKeyIdentifier: {
      const keyId = children(parseDer(value)).find((i) => i.tag === 0x80);
      facts.authorityKeyId = keyId ? Buffer.from(keyId.content) : undefined;
      return;
    }
    case OID.subjectAltName:
      for (const name of children(parseDer(value))) {
        if (name.tag === GENERAL_NAME.dNSName) facts.altNames.push(name.content.toString('latin1'));
        else if (name.tag === GENERAL_NAME.iPAddress) facts.altNames.push(formatIp(Buffer.from(name.content)));
      }
      return;
    case OID.nameConstraints:
      facts.nameConstraints = decodeNameConstraints(value);
      return;
    default:
      if (critical && !KNOWN.has(oid)) facts.unknownCritical.push(oid);
  }
}
