import { randomBytes } from 'node:crypto';
import { chmod, type FileHandle, mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, fail } from './errors.js';

export type WriteResult = 'created' | 'updated' | 'unchanged';

export interface WriteOptions {
  /** File mode; applied on creation and enforced when the content is unchanged. */
  mode?: number;
}

/**
 * Writes `content` atomically (temp file + rename) unless the file already holds
 * exactly these bytes. An unchanged file is not touched at all, so its mtime stays
 * put: Traefik's file watcher and lab's own change detection depend on that.
 */
export async function writeIfChanged(path: string, content: string | Uint8Array, options: WriteOptions = {}): Promise<WriteResult> {
  const next = Buffer.from(content);
  const previous = await readOptional(path);
  if (previous?.equals(next)) {
    if (options.mode !== undefined) await chmod(path, options.mode);
    return 'unchanged';
  }
  await atomicWrite(path, next, options.mode ?? 0o644);
  return previous === undefined ? 'created' : 'updated';
}

/** Temp file in the same directory, then rename: readers never see half a file. */
export async function atomicWrite(path: string, content: Uint8Array, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { mode });
    await chmod(tmp, mode); // the umask may have narrowed or widened the mode given to writeFile
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Creates a file that must never be overwritten (a CA key, a generated password).
 * Fails with EEXIST semantics instead of clobbering what is there.
 */
export async function createExclusive(path: string, content: string | Uint8Array, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', mode);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST')
      throw fail(`${path} already exists; lab will not overwrite it`, 'Move the file away yourself if you really want a new one.');
    throw err;
  }
  try {
    await handle.writeFile(content);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

export async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

export async function readTextOptional(path: string): Promise<string | undefined> {
  const buf = await readOptional(path);
  return buf?.toString('utf8');
}
