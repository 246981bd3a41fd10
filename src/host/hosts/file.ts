import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, LabError } from '../../util/errors.js';
import { type Eol, type HostsEntry, listBlocks, removeBlock, upsertBlock } from './block.js';

export type HostsChange = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent';

/** lab may not read or write the hosts file; the CLI turns this into a sudo command. */
export class HostsAccessError extends LabError {
  readonly file: string;
  readonly code: string;
  constructor(file: string, code: string, op: 'read' | 'write') {
    super(`permission denied: cannot ${op} ${file} (${code})`, { exitCode: 1 });
    this.name = 'HostsAccessError';
    this.file = file;
    this.code = code;
  }
}

/**
 * The file is decoded and encoded as latin1: one character per byte, so bytes that are
 * not valid UTF-8 (a comment in a legacy code page) go back out exactly as they came in.
 * lab's markers and entries are ASCII, which reads the same either way.
 */
const BYTES = 'latin1';

const denied = (code: string | undefined): code is string => code === 'EACCES' || code === 'EPERM' || code === 'EROFS';

async function resolveFile(file: string): Promise<string> {
  // Edit the target of a symlinked hosts file, never replace the link with a file.
  try {
    return await realpath(file);
  } catch {
    return file;
  }
}

async function readHosts(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, BYTES);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return undefined;
    if (denied(code)) throw new HostsAccessError(file, code, 'read');
    throw err;
  }
}

/**
 * Writes or removes lab's block. Unchanged content leaves the file untouched (mtime
 * too); a change goes through temp file + rename, keeping mode and owner. Inside a
 * container /etc/hosts is a bind mount that cannot be renamed over (EBUSY/EXDEV):
 * then, and when the folder is not writable but the file is, it is rewritten in place.
 */
export async function applyHostsBlock(
  file: string,
  lab: string,
  entries: HostsEntry[] | undefined,
  fallbackEol: Eol = '\n',
): Promise<HostsChange> {
  const path = await resolveFile(file);
  const before = await readHosts(path);
  let next: string;
  if (entries === undefined) {
    if (before === undefined) return 'absent';
    const result = removeBlock(before, lab);
    if (!result.removed) return 'absent';
    next = result.text;
  } else {
    next = upsertBlock(before ?? '', lab, entries, fallbackEol);
    if (before !== undefined && next === before) return 'unchanged';
  }
  await replaceContent(path, next, before === undefined);
  if (entries === undefined) return 'removed';
  return before === undefined || !listBlocks(before).some((b) => b.lab === lab) ? 'created' : 'updated';
}

async function replaceContent(path: string, content: string, isNew: boolean): Promise<void> {
  const info = isNew ? undefined : await stat(path);
  const mode = info ? info.mode & 0o7777 : 0o644;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.lab-tmp`);
  try {
    await writeFile(tmp, content, { encoding: BYTES, mode, flag: 'wx' });
    await chmod(tmp, mode); // the umask narrowed the mode given to writeFile
    if (info && process.getuid?.() === 0 && (info.uid !== 0 || info.gid !== 0)) await chown(tmp, info.uid, info.gid);
    await rename(tmp, path);
    return;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = errnoCode(err);
    const inPlace =
      code === 'EBUSY' ||
      code === 'EXDEV' ||
      ((code === 'EACCES' || code === 'EPERM') &&
        !isNew &&
        (await lstat(path).then(
          () => true,
          () => false,
        )));
    if (!inPlace) {
      if (denied(code)) throw new HostsAccessError(path, code, 'write');
      throw err;
    }
  }
  try {
    await writeFile(path, content, BYTES);
  } catch (err) {
    const code = errnoCode(err);
    if (denied(code)) throw new HostsAccessError(path, code, 'write');
    throw err;
  }
}
