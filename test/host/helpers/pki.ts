import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MintedLab {
  caCert: string;
  caKey: string;
  leafCert: string;
  leafKey: string;
}

/**
 * A CA and a leaf for `names`, minted with openssl where lab's folder layout expects
 * them (certs/ca/rootCA.pem, certs/tls/lab.pem), independent of `lab certs`.
 */
export async function mintLabCerts(dir: string, names: string[], label = 'lab test CA'): Promise<MintedLab> {
  const caDir = join(dir, 'certs', 'ca');
  const tlsDir = join(dir, 'certs', 'tls');
  await mkdir(caDir, { recursive: true });
  await mkdir(tlsDir, { recursive: true });
  const caCert = join(caDir, 'rootCA.pem');
  const caKey = join(caDir, 'rootCA-key.pem');
  const leafCert = join(tlsDir, 'lab.pem');
  const leafKey = join(tlsDir, 'lab-key.pem');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await execa('openssl', ['req', '-x509', ...ec, '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', `/CN=${label} ${Date.now()}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const csr = join(tlsDir, 'lab.csr');
  await execa('openssl', ['req', ...ec, '-keyout', leafKey, '-out', csr, '-subj', `/CN=${names[0] ?? 'lab'}`]);
  const ext = join(tlsDir, 'ext.cnf');
  await writeFile(ext, `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`);
  await execa('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '2', '-out', leafCert, '-extfile', ext]);
  return { caCert, caKey, leafCert, leafKey };
}
