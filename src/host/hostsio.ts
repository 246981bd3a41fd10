import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, LabError } from '../util/errors.js';
import { listBlocks, parseHostsEntries, removeBlock, upsertBlock, HostsFileError, type Eol, type HostsBlock, type HostsEntry } from './hostsfile.js';

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

export interface HostsInspection {
  file: string;
  exists: boolean;
  /** This lab's block, when there is one. */
  block: HostsBlock | undefined;
  /** Every block of every lab in the file. */
  blocks: HostsBlock[];
  /** Every mapping in the file, blocks included, in file order. */
  entries: HostsEntry[];
  /** Set when the markers are broken; `block` is then unknown. */
  problem: string | undefined;
}

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
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES' || code === 'EPERM') throw new HostsAccessError(file, code, 'read');
    throw err;
  }
}

/** What the hosts file says, for `lab hosts` and `lab doctor`; never throws on broken markers. */
export async function inspectHostsFile(file: string, lab: string): Promise<HostsInspection> {
  const path = await resolveFile(file);
  const text = await readHosts(path);
  if (text === undefined) return { file: path, exists: false, block: undefined, blocks: [], entries: [], problem: undefined };
  const entries = parseHostsEntries(text);
  try {
    const blocks = listBlocks(text);
    return { file: path, exists: true, block: blocks.find((b) => b.lab === lab), blocks, entries, problem: undefined };
  } catch (err) {
    if (!(err instanceof HostsFileError)) throw err;
    return { file: path, exists: true, block: undefined, blocks: [], entries, problem: err.message };
  }
}

/**
 * Writes or removes lab's block. Unchanged content leaves the file untouched (mtime
 * too); a change goes through temp file + rename, keeping mode and owner. Inside a
 * container /etc/hosts is a bind mount that cannot be renamed over (EBUSY/EXDEV):
 * then, and when the folder is not writable but the file is, it is rewritten in place.
 */
export async function applyHostsBlock(file: string, lab: string, entries: HostsEntry[] | undefined, fallbackEol: Eol = '\n'): Promise<HostsChange> {
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
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await chmod(tmp, mode); // the umask narrowed the mode given to writeFile
    if (info && process.getuid?.() === 0 && (info.uid !== 0 || info.gid !== 0)) await chown(tmp, info.uid, info.gid);
    await rename(tmp, path);
    return;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = errnoCode(err);
    const inPlace = code === 'EBUSY' || code === 'EXDEV' || ((code === 'EACCES' || code === 'EPERM') && !isNew && (await lstat(path).then(() => true, () => false)));
    if (!inPlace) {
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new HostsAccessError(path, code, 'write');
      throw err;
    }
  }
  try {
    await writeFile(path, content);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new HostsAccessError(path, code, 'write');
    throw err;
  }
}
