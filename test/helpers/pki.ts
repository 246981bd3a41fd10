import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

export interface MintedLab {
  caCert: string;
  caKey: string;
  leafCert: string;
  leafKey: string;
}

/**
 * A CA named `caName` and a leaf for `names` (P-256, valid 2 days), minted with openssl
 * into the given files, independent of `lab certs`.
 */
export async function mintCerts(files: MintedLab, names: string[], caName: string): Promise<MintedLab> {
  const { caCert, caKey, leafCert, leafKey } = files;
  await Promise.all([...new Set(Object.values(files).map((f) => dirname(f)))].map((d) => mkdir(d, { recursive: true })));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await execa('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    caCert,
    '-days',
    '2',
    '-subj',
    `/CN=${caName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const csr = join(dirname(leafCert), 'lab.csr');
  await execa('openssl', ['req', ...ec, '-keyout', leafKey, '-out', csr, '-subj', `/CN=${names[0] ?? 'lab'}`]);
  const ext = join(dirname(leafCert), 'ext.cnf');
  await writeFile(
    ext,
    `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  await execa('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caCert,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    leafCert,
    '-extfile',
    ext,
  ]);
  return files;
}

/** mintCerts where lab's folder layout expects them (certs/ca/rootCA.pem, certs/tls/lab.pem). */
export function mintLabCerts(dir: string, names: string[], label = 'lab test CA'): Promise<MintedLab> {
  const caDir = join(dir, 'certs', 'ca');
  const tlsDir = join(dir, 'certs', 'tls');
  const files = {
    caCert: join(caDir, 'rootCA.pem'),
    caKey: join(caDir, 'rootCA-key.pem'),
    leafCert: join(tlsDir, 'lab.pem'),
    leafKey: join(tlsDir, 'lab-key.pem'),
  };
  return mintCerts(files, names, `${label} ${Date.now()}`);
}
