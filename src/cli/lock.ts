import type { LabModel } from '../config/model.js';
import { acquireLabLock, describeOwner } from '../lock/lab-lock.js';
import type { CliContext } from './context.js';
import { parseDuration } from './duration.js';

/** How long a command waits for another one that changes the same lab (LAB_LOCK_WAIT overrides it). */
const DEFAULT_WAIT = '10s';

/**
 * Runs `work` holding the lab folder's lock: the commands that change the lab (`up`,
 * `down`, `destroy`, `certs`, `render`, `trust`, `seed`) never run two at a time on one
 * folder. Read-only commands do not lock.
 */
export async function withLock<T>(model: LabModel, command: string, ctx: CliContext, work: () => Promise<T>): Promise<T> {
  const waitMs = parseDuration(ctx.env.LAB_LOCK_WAIT || DEFAULT_WAIT, 'LAB_LOCK_WAIT');
  const lock = await acquireLabLock(model.paths.lockFile, command, {
    waitMs,
    onWait: (owner) => ctx.out.warn(`waiting for ${describeOwner(owner)} to finish with this lab…`),
  });
  try {
    return await work();
  } finally {
    await lock.release();
  }
}
