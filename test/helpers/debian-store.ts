import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { readOptionalBytes, restoreDir, snapshotDir } from './snapshot.js';

/** Debian's system trust store, as update-ca-certificates(8) lays it out. */
export const ANCHORS = '/usr/local/share/ca-certificates';
export const CERTS = '/etc/ssl/certs';
export const BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** Rebuilt by the ca-certificates-java hook on every update-ca-certificates run. */
export const JAVA_CACERTS = '/etc/ssl/certs/java/cacerts';

/** The machine-wide system-store tests need root on a Debian-family Linux. */
export const debianRoot = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/sbin/update-ca-certificates');

/** /etc/ssl/certs by name → content: update-ca-certificates may swap a file for a link to the same bytes. */
export async function resolvedCerts(): Promise<string> {
  const { stdout } = await execa('sh', [
    '-c',
    `cd ${CERTS} && for f in *; do [ -d "$f" ] || printf '%s %s\\n' "$f" "$(sha256sum < "$f" | cut -c1-16)"; done`,
  ]);
  return stdout;
}

export interface StoreSnapshot {
  /** Puts every byte back (anchors, /etc/ssl/certs with the bundle, the Java keystore), whatever a test left behind. */
  restore(): Promise<void>;
}

/** The store's files as they are now. */
export async function snapshotDebianStore(): Promise<StoreSnapshot> {
  const [anchors, certs, java] = await Promise.all([snapshotDir(ANCHORS), snapshotDir(CERTS), readOptionalBytes(JAVA_CACERTS)]);
  return {
    async restore() {
      await restoreDir(ANCHORS, anchors);
      await restoreDir(CERTS, certs);
      if (java && !(await readOptionalBytes(JAVA_CACERTS))?.equals(java)) await writeFile(JAVA_CACERTS, java);
    },
  };
}
