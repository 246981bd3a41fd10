import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type WriteResult, writeIfChanged } from '../util/fs.js';

/** A file lab renders: where, what, and with which mode. */
export interface RenderedFile {
  /** Absolute path. */
  path: string;
  content: string;
  mode: number;
}

export interface WrittenFile {
  path: string;
  result: WriteResult;
}

export const PUBLIC_MODE = 0o644;
/** Files that hold a secret (the runner's config.toml). */
export const PRIVATE_MODE = 0o600;

/** Writes rendered files, touching only those whose bytes changed. */
export async function writeRendered(files: RenderedFile[]): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  for (const file of files) {
    // Folders of private files (.lab/runner) are created private as well.
    if (file.mode === PRIVATE_MODE) await mkdir(dirname(file.path), { recursive: true, mode: 0o700 });
    written.push({ path: file.path, result: await writeIfChanged(file.path, file.content, { mode: file.mode }) });
  }
  return written;
}
