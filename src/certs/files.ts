import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createExclusive } from '../util/fs.js';
import { writeFailure } from './errors.js';

export interface NewFile {
  path: string;
  content: string;
  mode: number;
}

/**
 * Creates files that must not exist yet (a new CA), in order. If a later one fails,
 * the earlier ones, which this call created, are removed again: a key without its
 * certificate would block the next run.
 */
export async function createAll(files: NewFile[]): Promise<void> {
  const done: string[] = [];
  try {
    for (const file of files) {
      await createExclusive(file.path, file.content, file.mode);
      done.push(file.path);
    }
  } catch (err) {
    await Promise.all(done.map((p) => rm(p, { force: true })));
    throw writeFailure(files[done.length]?.path ?? '', err);
  }
}

/**
 * Replaces a set of files that belong together (a key and its certificate): every
 * new file is written under a temporary name first, then all are renamed into place
 * one after the other. A failure before the renames leaves the old set untouched.
 */
export async function replaceAll(files: NewFile[]): Promise<void> {
  const staged: { tmp: string; path: string }[] = [];
  try {
    for (const file of files) {
      await mkdir(dirname(file.path), { recursive: true });
      const tmp = `${file.path}.${randomBytes(6).toString('hex')}.tmp`;
      staged.push({ tmp, path: file.path });
      await writeFile(tmp, file.content, { mode: file.mode, flag: 'wx' });
      await chmod(tmp, file.mode); // the umask may have changed the mode given to writeFile
    }
  } catch (err) {
    await Promise.all(staged.map((s) => rm(s.tmp, { force: true })));
    throw writeFailure(staged[staged.length - 1]?.path ?? '', err);
  }
  for (const [i, s] of staged.entries()) {
    try {
      await rename(s.tmp, s.path);
    } catch (err) {
      await Promise.all(staged.slice(i).map((t) => rm(t.tmp, { force: true })));
      throw writeFailure(s.path, err);
    }
  }
}
