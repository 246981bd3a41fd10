import { sign, X509Certificate, type KeyObject } from 'node:crypto';
import type forgeNs from 'node-forge';
import { parseCidrBlock, ipBytes } from './ip.js';
import type { CertTemplate, Extension } from './profile.js';

/**
 * Encoding with node-forge, signing with Node's crypto. forge builds the
 * TBSCertificate; OpenSSL signs its DER (forge's pure-JS RSA signing costs ~0.16 s
 * per certificate); forge.asn1 wraps tbs, algorithm and signature into the
 * Certificate (RFC 5280 section 4.1).
 */

// getTBSCertificate is public in node-forge's x509.js but missing from its typings.
type Pki = typeof forgeNs.pki & { getTBSCertificate(cert: forgeNs.pki.Certificate): forgeNs.asn1.Asn1 };
type Asn1 = typeof forgeNs.asn1;
interface Forge {
  pki: Pki;
  asn1: Asn1;
}

let forgeModule: Promise<Forge> | undefined;

/** node-forge is loaded only when a certificate is actually built, and only the parts lab uses. */
export function loadForge(): Promise<Forge> {
  forgeModule ??= Promise.all([import('node-forge/lib/x509.js'), import('node-forge/lib/asn1.js')]).then(([pki, asn1]) => ({
    pki: pki.default as Pki,
    asn1: asn1.default,
  }));
  return forgeModule;
}

export interface Signer {
  privateKey: KeyObject;
  /** The issuer's encoded subject, copied byte for byte; omitted for a self-signed certificate. */
  subjectDer?: Buffer;
}

/** Builds and signs a certificate; returns its DER. */
export async function buildCertificate(template: CertTemplate, publicKey: KeyObject, signer: Signer): Promise<Buffer> {
  const forge = await loadForge();
  const { asn1, pki } = forge;
  const cert = pki.createCertificate();
  cert.serialNumber = template.serial.toString('hex');
  cert.validity.notBefore = template.notBefore;
  cert.validity.notAfter = template.notAfter;
  // UTF8String throughout: "user@host" is not a valid PrintableString, forge's default.
  // (forge's typings call this field a Class; its code reads it as a universal Type.)
  const utf8 = asn1.Type.UTF8 as unknown as forgeNs.asn1.Class;
  const subject = template.subject.map((a) => ({ shortName: a.shortName, value: a.value, valueTagClass: utf8 }));
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.publicKey = pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.setExtensions(template.extensions.map((e) => toForgeExtension(forge, e)));
  cert.siginfo.algorithmOid = pki.oids.sha256WithRSAEncryption ?? '1.2.840.113549.1.1.11';

  const tbs = pki.getTBSCertificate(cert);
  if (signer.subjectDer) {
    // The issuer must equal the CA's subject exactly; re-encoding it from parsed
    // attributes could change string types and break chain building in strict verifiers.
    (tbs.value as forgeNs.asn1.Asn1[])[3] = asn1.fromDer(signer.subjectDer.toString('binary'));
  }
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  // RSA keys sign with PKCS#1 v1.5 by default, which is what sha256WithRSAEncryption names.
  const signature = sign('sha256', tbsDer, signer.privateKey);
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(cert.siginfo.algorithmOid).getBytes()),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
    ]),
    // BIT STRING: a leading byte of 0 unused bits, then the signature.
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\u0000${signature.toString('binary')}`),
  ]);
  return Buffer.from(asn1.toDer(certificate).getBytes(), 'binary');
}

function toForgeExtension(forge: Forge, ext: Extension): Record<string, unknown> {
  const { asn1 } = forge;
  const raw = (der: Buffer): string => der.toString('binary');
  switch (ext.kind) {
    case 'basicConstraints':
      return { name: 'basicConstraints', critical: ext.critical, cA: ext.ca, ...(ext.pathLen === undefined ? {} : { pathLenConstraint: ext.pathLen }) };
    case 'keyUsage':
      return { name: 'keyUsage', critical: ext.critical, ...Object.fromEntries(ext.usages.map((u) => [u, true])) };
    case 'extKeyUsage':
      return { name: 'extKeyUsage', critical: ext.critical, ...Object.fromEntries(ext.usages.map((u) => [u, true])) };
    case 'subjectKeyIdentifier':
      // A preset value is used as is; forge would otherwise hash the key itself.
      return { name: 'subjectKeyIdentifier', critical: ext.critical, value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, raw(ext.keyId)) };
    case 'authorityKeyIdentifier':
      return { name: 'authorityKeyIdentifier', critical: ext.critical, keyIdentifier: raw(ext.keyId) };
    case 'subjectAltName':
      return {
        name: 'subjectAltName',
        critical: ext.critical,
        altNames: ext.names.map((n) => (ipBytes(n) ? { type: 7, ip: n } : { type: 2, value: n })),
      };
    case 'nameConstraints':
      return { id: '2.5.29.30', critical: ext.critical, value: nameConstraintsValue(forge, ext.dns, ext.ip) };
  }
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL, … }
 * GeneralSubtree  ::= SEQUENCE { base GeneralName, minimum [0] DEFAULT 0, maximum [1] OPTIONAL }
 * (RFC 5280 4.2.1.10, implicit tags). forge has no encoder for it. The bases are
 * dNSName [2] (an IA5String) and iPAddress [7] (address then mask: 8 bytes for
 * IPv4, 32 for IPv6). minimum keeps its default, so DER leaves it out.
 */
export function nameConstraintsValue(forge: Forge, dns: string[], cidrs: string[]): forgeNs.asn1.Asn1 {
  const { asn1 } = forge;
  const { CONTEXT_SPECIFIC, UNIVERSAL } = asn1.Class;
  const subtree = (tag: number, bytes: string) =>
    asn1.create(UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(CONTEXT_SPECIFIC, tag as forgeNs.asn1.Type, false, bytes)]);
  const subtrees = [
    ...dns.map((d) => subtree(2, d)),
    ...cidrs.map((c) => {
      const block = parseCidrBlock(c);
      if (!block) throw new Error(`not a CIDR block: ${c}`);
      return subtree(7, Buffer.concat([block.address, block.mask]).toString('binary'));
    }),
  ];
  return asn1.create(UNIVERSAL, asn1.Type.SEQUENCE, true, [asn1.create(CONTEXT_SPECIFIC, 0 as forgeNs.asn1.Type, true, subtrees)]);
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
