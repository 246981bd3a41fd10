import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode } from '../../util/errors.js';
import { readOptional } from '../../util/fs.js';
import type { Step } from '../privilege.js';
import { fingerprintOf } from './lab-ca.js';

/**
 * The folders `mkdir -p dir` would create, outermost first. lab records them so that
 * an uninstall removes exactly those (and only while they are empty).
 */
export async function missingDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    try {
      await stat(current);
      break;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') break;
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  return missing;
}

/**
 * Installing a CA as a file in a root-owned folder (a system anchor, Docker's certs.d):
 * the folders that are missing (to be recorded), then the copy. `copy: false` when the
 * file already holds the CA and only the folders or the store's refresh are missing.
 */
export async function copyInSteps(from: string, file: string, copy = true): Promise<{ steps: Step[]; createdDirs: string[] }> {
  const createdDirs = await missingDirs(dirname(file));
  const steps: Step[] = createdDirs.map((path) => ({ kind: 'mkdir', path, mode: 0o755, privileged: true }));
  if (copy) steps.push({ kind: 'copy', from, to: file, mode: 0o644, privileged: true });
  return { steps, createdDirs };
}

/**
 * Undoing copyInSteps from the record: the file only while it still holds the recorded
 * certificate, then the folders lab created, innermost first (each only while empty).
 */
export async function copyOutSteps(
  file: string,
  fingerprint256: string,
  createdDirs: readonly string[],
): Promise<{ steps: Step[]; notes: string[] }> {
  const steps: Step[] = [];
  const notes: string[] = [];
  const current = await readOptional(file);
  if (current !== undefined && fingerprintOf(current) !== fingerprint256)
    notes.push(`${file} now holds another certificate; left in place`);
  else if (current !== undefined) steps.push({ kind: 'remove', path: file, privileged: true });
  for (const dir of [...createdDirs].reverse()) steps.push({ kind: 'rmdir', path: dir, privileged: true });
  return { steps, notes };
}
