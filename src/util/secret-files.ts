import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as v from 'valibot';
import { errnoCode, fail } from './errors.js';
import { atomicWrite, readTextOptional } from './fs.js';

/**
 * Secret files (folder 0700, files 0600): the only place a secret lives on the host;
 * nothing else (logs, errors, compose files, exec command lines) ever holds one.
 */
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** The secrets folder, created 0700 (and narrowed to 0700 if something widened it). */
async function ensureDir(path: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (((await stat(dir)).mode & 0o077) !== 0) await chmod(dir, DIR_MODE);
}

/** Replaces a secret file atomically (temp file + rename, mode 0600): never half written. */
export async function writeSecretFile(path: string, content: string): Promise<void> {
  await ensureDir(path);
  await atomicWrite(path, Buffer.from(content), FILE_MODE);
}

/**
 * Creates a secret file only if there is none: the content goes to a temp file first and
 * is then hard-linked into place, which fails instead of replacing an existing file. So
 * the file appears complete or not at all, and an existing secret is never overwritten.
 * Returns false when the file already existed.
 */
export async function createSecretFile(path: string, content: string): Promise<boolean> {
  await ensureDir(path);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { mode: FILE_MODE, flag: 'wx' });
    await chmod(tmp, FILE_MODE);
    await link(tmp, path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Reads a secret file; a file readable by others is narrowed back to 0600 first. */
export async function readSecretFile(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0) await chmod(path, FILE_MODE);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  return readTextOptional(path);
}

/**
 * Reads and validates a JSON secret file. A damaged file is an error naming the file,
 * never silently replaced: it may hold the only copy of a credential.
 */
export async function readJsonSecret<S extends v.GenericSchema>(
  path: string,
  schema: S,
  hint: string,
): Promise<v.InferOutput<S> | undefined> {
  const text = await readSecretFile(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail(`${path} is not valid JSON`, hint);
  }
  const parsed = v.safeParse(schema, value);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const where = issue.path?.map((p) => String(p.key)).join('.') || '(root)';
    throw fail(`${path} is not what lab wrote: ${where}: ${issue.message}`, hint);
  }
  return parsed.output;
}

export async function writeJsonSecret(path: string, value: unknown): Promise<void> {
  await writeSecretFile(path, `${JSON.stringify(value, null, 2)}\n`);
}
