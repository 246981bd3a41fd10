import { readFileSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { errnoCode, LabError } from '../util/errors.js';
import { sleep } from '../util/time.js';

/**
 * One lab command at a time may change a lab folder (as Terraform locks its state): a lock
 * file made with O_EXCL holds who has it. A lock whose process is gone (killed, crashed) is
 * taken over; one held by a live process is waited for, briefly, and then refused.
 */
export interface LockOwner {
  pid: number;
  command: string;
  host: string;
  startedAt: string;
  /** When the process started (Linux: /proc/<pid>/stat), so a reused pid is not taken for the owner. */
  processStart?: string;
}

export interface LabLock {
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long to wait for another command to finish. */
  waitMs: number;
  /** Called once when the lock is held by someone else and lab starts waiting. */
  onWait?(owner: LockOwner): void;
}

/** Field 22 of /proc/<pid>/stat: the process's start time in clock ticks since boot. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses; fields after it are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the owner's process still exists (on this host; another host's lock is always believed). */
export function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return false;
  }
  const started = processStart(owner.pid);
  return owner.processStart === undefined || started === undefined || started === owner.processStart;
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    // Half written (a crash between create and write): treat as a dead owner's.
    return { pid: 0, command: 'unknown', host: hostname(), startedAt: '' };
  }
}

async function tryCreate(file: string, owner: LockOwner): Promise<boolean> {
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw lockError(file, err);
  }
}

/**
 * Moves a dead owner's lock aside. The rename is atomic, so of two processes that both
 * found it dead only one moves it; if what it moved turns out to be a fresh lock (taken in
 * between), it is put back.
 */
async function takeOver(file: string, dead: LockOwner): Promise<void> {
  const aside = `${file}.${process.pid}.stale`;
  try {
    await rename(file, aside);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  const moved = await readOwner(aside);
  if (moved && (moved.pid !== dead.pid || moved.startedAt !== dead.startedAt)) {
    await link(aside, file).catch(() => undefined);
  }
  await rm(aside, { force: true });
}

export function describeOwner(owner: LockOwner): string {
  return `\`lab ${owner.command}\` (pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`})`;
}

/** A lock that cannot be made at all (a folder owned by another user, a read-only disk) is the user's to fix; other errors stay as they are. */
function lockError(file: string, err: unknown): unknown {
  const code = errnoCode(err);
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return err;
  return new LabError(`cannot create the lab folder's lock ${file}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`, {
    hint: `Run lab as the user who owns ${dirname(file)}, or give that user write access to it.`,
  });
}

export async function acquireLabLock(file: string, command: string, options: AcquireOptions): Promise<LabLock> {
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (err) {
    throw lockError(file, err);
  }
  const me: LockOwner = {
    pid: process.pid,
    command,
    host: hostname(),
    startedAt: new Date().toISOString(),
    processStart: processStart(process.pid),
  };
  const deadline = Date.now() + options.waitMs;
  let told = false;
  for (;;) {
    if (await tryCreate(file, me)) break;
    const owner = await readOwner(file);
    if (!owner) continue;
    if (!ownerAlive(owner)) {
      await takeOver(file, owner);
      continue;
    }
    if (!told) {
      options.onWait?.(owner);
      told = true;
    }
    if (Date.now() >= deadline) {
      throw new LabError(`another lab command is changing this lab: ${describeOwner(owner)} has held ${file} since ${owner.startedAt}`, {
        hint: `Wait for it to finish and run the command again. If no such process runs any more, delete ${file}.`,
      });
    }
    await sleep(200);
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      const owner = await readOwner(file);
      if (owner?.pid === me.pid && owner.startedAt === me.startedAt) await rm(file, { force: true });
    },
  };
}
