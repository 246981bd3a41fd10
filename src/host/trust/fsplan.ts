import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode } from '../../util/errors.js';

/**
 * The folders `mkdir -p dir` would create, outermost first. lab records them so that
 * an uninstall removes exactly those (and only while they are empty).
 */
export async function missingDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    try {
      await stat(current);
      break;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') break;
      missing.unshift(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  return missing;
}
