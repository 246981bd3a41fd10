import { type KeyObject, sign, X509Certificate } from 'node:crypto';
import type forgeNs from 'node-forge';
import { OID as EXTENSION_OID, KEY_USAGE } from './inspect.js';
import { ipBytes, parseCidrBlock } from './ip.js';
import type { CertTemplate, Extension } from './profile.js';

/**
 * Encoding with node-forge's ASN.1 module, signing with Node's crypto. The
 * TBSCertificate (RFC 5280 section 4.1) is put together from the profile's plain data;
 * the public key arrives from Node already DER-encoded (SubjectPublicKeyInfo), so
 * forge's RSA and PKI layers are never needed: OpenSSL signs (forge's pure-JS RSA
 * signing costs ~0.16 s) and forge.asn1 wraps tbs, algorithm and signature.
 */

type Asn1 = typeof forgeNs.asn1;
type Node = forgeNs.asn1.Asn1;
interface Forge {
  asn1: Asn1;
}

let forgeModule: Promise<Forge> | undefined;

/** node-forge is loaded only when a certificate is actually built, and only its ASN.1 part. */
export function loadForge(): Promise<Forge> {
  forgeModule ??= import('node-forge/lib/asn1.js').then((asn1) => ({ asn1: asn1.default }));
  return forgeModule;
}

export interface Signer {
  privateKey: KeyObject;
  /** The issuer's encoded subject, copied byte for byte; omitted for a self-signed certificate. */
  subjectDer?: Buffer;
}

// The extension OIDs are shared with the reader (inspect.ts); these are the rest.
const OID = {
  ...EXTENSION_OID,
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  CN: '2.5.4.3',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** Small constructors over forge.asn1, so the structures below read like the RFC. */
function der(asn1: Asn1) {
  const { UNIVERSAL, CONTEXT_SPECIFIC } = asn1.Class;
  const T = asn1.Type;
  const bin = (b: Buffer) => b.toString('binary');
  return {
    seq: (items: Node[]) => asn1.create(UNIVERSAL, T.SEQUENCE, true, items),
    set: (items: Node[]) => asn1.create(UNIVERSAL, T.SET, true, items),
    oid: (oid: string) => asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(oid).getBytes()),
    int: (bytes: Buffer) => asn1.create(UNIVERSAL, T.INTEGER, false, bin(bytes)),
    bool: (value: boolean) => asn1.create(UNIVERSAL, T.BOOLEAN, false, value ? '\xff' : '\x00'),
    nul: () => asn1.create(UNIVERSAL, T.NULL, false, ''),
    octets: (bytes: Buffer) => asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(bytes)),
    utf8: (text: string) => asn1.create(UNIVERSAL, T.UTF8, false, Buffer.from(text, 'utf8').toString('binary')),
    bits: (unused: number, bytes: Buffer) => asn1.create(UNIVERSAL, T.BITSTRING, false, String.fromCharCode(unused) + bin(bytes)),
    /** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
    time: (date: Date) =>
      date.getUTCFullYear() < 2050
        ? asn1.create(UNIVERSAL, T.UTCTIME, false, asn1.dateToUtcTime(date))
        : asn1.create(UNIVERSAL, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date)),
    /**
     * A constructed context tag: around one item it is an EXPLICIT tag; around the
     * items of a SEQUENCE OF it is that sequence IMPLICITLY tagged.
     */
    context: (tag: number, items: Node[]) => asn1.create(CONTEXT_SPECIFIC, tag as forgeNs.asn1.Type, true, items),
    implicit: (tag: number, bytes: Buffer) => asn1.create(CONTEXT_SPECIFIC, tag as forgeNs.asn1.Type, false, bin(bytes)),
    parse: (bytes: Buffer) => asn1.fromDer(bin(bytes)),
    encode: (node: Node) => Buffer.from(asn1.toDer(node).getBytes(), 'binary'),
  };
}
type Der = ReturnType<typeof der>;

/** Builds and signs a certificate; returns its DER. */
export async function buildCertificate(template: CertTemplate, publicKey: KeyObject, signer: Signer): Promise<Buffer> {
  const { asn1 } = await loadForge();
  const d = der(asn1);
  const algorithm = d.seq([d.oid(OID.sha256WithRSAEncryption), d.nul()]);
  // UTF8String throughout: "user@host" is not a valid PrintableString.
  const subject = d.seq(template.subject.map((a) => d.set([d.seq([d.oid(OID[a.shortName]), d.utf8(a.value)])])));
  const tbs = d.seq([
    d.context(0, [d.int(Buffer.from([2]))]), // version [0] EXPLICIT: v3
    d.int(template.serial),
    algorithm,
    // The issuer must equal the CA's subject exactly; re-encoding it from parsed
    // attributes could change string types and break chain building in strict verifiers.
    signer.subjectDer ? d.parse(signer.subjectDer) : subject,
    d.seq([d.time(template.notBefore), d.time(template.notAfter)]),
    subject,
    d.parse(publicKey.export({ type: 'spki', format: 'der' })),
    d.context(3, [d.seq(template.extensions.map((e) => extension(d, e)))]), // extensions [3] EXPLICIT
  ]);
  const tbsDer = d.encode(tbs);
  // RSA keys sign with PKCS#1 v1.5 by default, which is what sha256WithRSAEncryption names.
  const signature = sign('sha256', tbsDer, signer.privateKey);
  // BIT STRING: a leading count of 0 unused bits, then the signature.
  return d.encode(d.seq([tbs, algorithm, d.bits(0, signature)]));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function extension(d: Der, ext: Extension): Node {
  const [oid, value] = extensionValue(d, ext);
  return d.seq([d.oid(oid), ...(ext.critical ? [d.bool(true)] : []), d.octets(d.encode(value))]);
}

function extensionValue(d: Der, ext: Extension): [string, Node] {
  switch (ext.kind) {
    case 'basicConstraints':
      // cA DEFAULT FALSE: DER leaves a false cA out.
      return [
        OID.basicConstraints,
        d.seq([...(ext.ca ? [d.bool(true)] : []), ...(ext.pathLen === undefined ? [] : [d.int(Buffer.from([ext.pathLen]))])]),
      ];
    case 'keyUsage':
      // KEY_USAGE lists the named bits in order: digitalSignature (0) … decipherOnly (8).
      return [
        OID.keyUsage,
        namedBits(
          d,
          ext.usages.map((u) => KEY_USAGE.indexOf(u)),
        ),
      ];
    case 'extKeyUsage':
      return [OID.extKeyUsage, d.seq(ext.usages.map((u) => d.oid(OID[u])))];
    case 'subjectKeyIdentifier':
      return [OID.subjectKeyIdentifier, d.octets(ext.keyId)];
    case 'authorityKeyIdentifier':
      // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING, … }
      return [OID.authorityKeyIdentifier, d.seq([d.implicit(0, ext.keyId)])];
    case 'subjectAltName':
      // GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING (implicit tags).
      return [
        OID.subjectAltName,
        d.seq(
          ext.names.map((n) => {
            const ip = ipBytes(n);
            return ip ? d.implicit(7, ip) : d.implicit(2, Buffer.from(n, 'ascii'));
          }),
        ),
      ];
    case 'nameConstraints':
      return [OID.nameConstraints, nameConstraintsValue(d, ext.dns, ext.ip)];
  }
}

/** A named BIT STRING in DER: trailing zero bits dropped, the unused-bit count in front. */
function namedBits(d: Der, bits: number[]): Node {
  const top = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(top / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return d.bits(7 - (top & 7), bytes);
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL, … }
 * GeneralSubtree  ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }
 * (RFC 5280 4.2.1.10, implicit tags). forge has no encoder for it. The bases are
 * dNSName [2] (an IA5String) and iPAddress [7] (address then mask: 8 bytes for
 * IPv4, 32 for IPv6). minimum keeps its default, so DER leaves it out.
 */
function nameConstraintsValue(d: Der, dns: string[], cidrs: string[]): Node {
  const subtree = (tag: number, bytes: Buffer) => d.seq([d.implicit(tag, bytes)]);
  const subtrees = [
    ...dns.map((name) => subtree(2, Buffer.from(name, 'ascii'))),
    ...cidrs.map((c) => {
      const block = parseCidrBlock(c);
      if (!block) throw new Error(`not a CIDR block: ${c}`);
      return subtree(7, Buffer.concat([block.address, block.mask]));
    }),
  ];
  // permittedSubtrees [0] IMPLICIT GeneralSubtrees: a constructed context tag.
  return d.seq([d.context(0, subtrees)]);
}

export function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * A freshly built certificate must verify with Node's own X.509 code before it is
 * written: an encoding bug should fail here, not in a browser later.
 */
export function selfCheck(der: Buffer, issuer: X509Certificate | undefined, issuerKey: KeyObject): X509Certificate {
  const cert = new X509Certificate(der);
  const ok = cert.verify(issuerKey) && (issuer ? cert.checkIssued(issuer) : cert.checkIssued(cert));
  if (!ok) throw new Error('the certificate lab just built does not verify against its issuer');
  return cert;
}
