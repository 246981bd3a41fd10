import { dirname } from 'node:path';
import { displayPath } from '../config/layout.js';
import { errnoCode, fail, LabError } from '../util/errors.js';

/*
 * Exit codes of `lab certs` — the rule:
 *
 *   2  A file lab was told to use is unusable as it is: the CA in certs/ca (or the
 *      folder named by --caroot, LAB_CAROOT or certs.caroot) is unreadable, corrupt,
 *      incomplete (cert without key or key without cert), mismatched, expired, not a
 *      root CA, not RSA, or its name constraints exclude a lab host. Running again
 *      cannot help: the user must fix, replace or point elsewhere, and the hint says
 *      how. This matches lab.yml, whose unreadable or invalid content is also exit 2.
 *   1  lab could not do its own work: creating a folder or writing a file failed
 *      (folder permissions, disk full, read-only file system), or generating a key or
 *      signing failed. The inputs are fine; the environment is not.
 *
 * Either way every check runs before the first write, so a failure changes nothing.
 */

/** A CA file that cannot be used as it is (exit code 2). */
export function badCaFile(message: string, hint: string): LabError {
  return new LabError(message, { exitCode: 2, hint });
}

/** An environment failure while writing (exit code 1). */
export function writeFailure(path: string, err: unknown): LabError {
  if (err instanceof LabError) return err;
  const code = errnoCode(err) ?? String(err);
  return fail(
    `cannot write ${displayPath(path)}: ${code}`,
    `Check that you may write to ${displayPath(dirname(path))} and that the disk is not full.`,
  );
}
