import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * Certificates with any validity period, including ones that expired long ago, which
 * `openssl x509 -days` cannot make. Written where a lab folder keeps them.
 */
export interface Minted {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

const DAY = 86_400_000;

function keyPair(): { key: forge.pki.rsa.PrivateKey; pub: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return {
    key: forge.pki.privateKeyFromPem(keyPem),
    pub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey,
    keyPem,
  };
}

function serial(): string {
  const bytes = randomBytes(12);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return bytes.toString('hex');
}

/** Validity as days relative to now: `{ from: -400, to: -10 }` expired ten days ago. */
export interface Days {
  from: number;
  to: number;
}

export function mintCa(cn: string, days: Days): Minted {
  const { key, pub, keyPem } = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() + days.from * DAY);
  cert.validity.notAfter = new Date(Date.now() + days.to * DAY);
  const name = [{ name: 'commonName', value: cn }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem, cert, key };
}

export function mintLeaf(ca: Minted, names: string[], days: Days): Minted {
  const { key, pub, keyPem } = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() + days.from * DAY);
  cert.validity.notAfter = new Date(Date.now() + days.to * DAY);
  cert.setSubject([{ name: 'commonName', value: names[0] ?? 'lab' }]);
  cert.setIssuer(ca.cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map((value) => ({ type: 2, value })) },
  ]);
  cert.sign(ca.key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem, cert, key };
}

/** Puts a CA and a leaf where lab expects them (certs/ca, certs/tls). */
export async function writeLabCerts(dir: string, ca: Minted, leaf: Minted): Promise<void> {
  const caDir = join(dir, 'certs', 'ca');
  const tlsDir = join(dir, 'certs', 'tls');
  await mkdir(caDir, { recursive: true });
  await mkdir(tlsDir, { recursive: true });
  await writeFile(join(caDir, 'rootCA.pem'), ca.certPem);
  await writeFile(join(caDir, 'rootCA-key.pem'), ca.keyPem, { mode: 0o400 });
  await chmod(join(caDir, 'rootCA-key.pem'), 0o400);
  await writeFile(join(tlsDir, 'lab.pem'), leaf.certPem);
  await writeFile(join(tlsDir, 'lab-key.pem'), leaf.keyPem, { mode: 0o600 });
  await writeFile(join(tlsDir, 'ca.pem'), ca.certPem);
}
