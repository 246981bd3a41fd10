import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MintedLab, mintLabCerts } from './pki.js';

export interface TrustLab extends MintedLab {
  dir: string;
  name: string;
  domain: string;
  /** The nickname lab should use in every store: lab-<name>-<first 8 hex of the CA's SHA-256>. */
  nick: string;
  caDer: Buffer;
  fingerprint256: string;
}

/** A lab folder with a unique name and domain, and an openssl-minted CA and leaf for its hosts. */
export async function makeTrustLab(root: string, options: { https: number; tag?: string }): Promise<TrustLab> {
  const id = randomBytes(3).toString('hex');
  const name = `${options.tag ?? 't'}${id}`;
  const domain = `${name}.test`;
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'lab.yml'), `name: ${name}\ndomain: ${domain}\nports:\n  https: ${options.https}\n`);
  const minted = await mintLabCerts(dir, [`gitlab.${domain}`, `registry.${domain}`, `traefik.${domain}`], `lab ${name} CA`);
  const cert = new X509Certificate(await readFile(minted.caCert));
  const fingerprint256 = cert.fingerprint256.replace(/:/g, '').toLowerCase();
  return { ...minted, dir, name, domain, nick: `lab-${name}-${fingerprint256.slice(0, 8)}`, caDer: cert.raw, fingerprint256 };
}

/** Lets an unprivileged user (nobody) read the lab folder, as a normal user's own folder would be. */
export async function openForNobody(root: string, lab: TrustLab): Promise<void> {
  for (const dir of [root, lab.dir, join(lab.dir, 'certs'), join(lab.dir, 'certs', 'ca'), join(lab.dir, 'certs', 'tls')])
    await chmod(dir, 0o755);
  await chmod(lab.caCert, 0o644);
}

export async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
