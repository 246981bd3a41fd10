import { createHash } from 'node:crypto';
import { chmod, lstat, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One directory level: name → what it is (file bytes, link target); subdirectories by name only. */
export type DirSnapshot = Map<string, { type: 'file'; data: Buffer; mode: number } | { type: 'link'; target: string } | { type: 'dir' }>;

export async function snapshotDir(dir: string): Promise<DirSnapshot | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const snap: DirSnapshot = new Map();
  for (const name of names.sort()) {
    const path = join(dir, name);
    const info = await lstat(path);
    if (info.isSymbolicLink()) snap.set(name, { type: 'link', target: await readlink(path) });
    else if (info.isDirectory()) snap.set(name, { type: 'dir' });
    else snap.set(name, { type: 'file', data: await readFile(path), mode: info.mode & 0o7777 });
  }
  return snap;
}

/** A comparable text form: same string = same names, link targets and file bytes. */
export function describeSnapshot(snap: DirSnapshot | undefined): string {
  if (!snap) return '<absent>';
  return [...snap]
    .map(
      ([name, e]) =>
        `${name} ${e.type === 'link' ? `-> ${e.target}` : e.type === 'file' ? `${createHash('sha256').update(e.data).digest('hex')} ${e.mode.toString(8)}` : '/'}`,
    )
    .join('\n');
}

/** Puts files and links back as they were (subdirectories are left alone). */
export async function restoreDir(dir: string, snap: DirSnapshot | undefined): Promise<void> {
  if (!snap) return;
  const now = (await snapshotDir(dir)) ?? new Map();
  for (const [name, e] of now) {
    if (e.type !== 'dir' && !snap.has(name)) await rm(join(dir, name), { force: true });
  }
  for (const [name, e] of snap) {
    const path = join(dir, name);
    const cur = now.get(name);
    if (e.type === 'dir') continue;
    if (e.type === 'link') {
      if (cur?.type === 'link' && cur.target === e.target) continue;
      await rm(path, { force: true });
      await symlink(e.target, path);
    } else {
      if (cur?.type === 'file' && cur.data.equals(e.data) && cur.mode === e.mode) continue;
      await rm(path, { force: true });
      await writeFile(path, e.data);
      await chmod(path, e.mode);
    }
  }
}

export async function readOptionalBytes(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}
