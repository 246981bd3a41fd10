import { resolve } from 'node:path';
import type { LoadedLab } from '../config/load.js';
import type { CliContext } from './context.js';

/**
 * The CA folder asked for by `--caroot` or LAB_CAROOT (an empty variable counts as unset).
 * Both mean "relative to where I am", as mkcert's CAROOT does; only certs.caroot in lab.yml
 * is relative to the lab folder. Every command takes it from here, so that `lab certs` and
 * the commands that read its CA (trust, doctor, destroy…) always mean the same folder.
 */
export function carootOf(env: NodeJS.ProcessEnv, flag?: string): string | undefined {
  const given = flag ?? (env.LAB_CAROOT || undefined);
  return given === undefined ? undefined : resolve(given);
}

/**
 * lab.yml of the command's lab folder, with the CA folder from the command line or the
 * environment. The config code (valibot, yaml) is imported on first use, so a command
 * can start slow work (`lab certs`: key generation) before it loads.
 */
export async function loadLabFor(ctx: CliContext, caroot: string | undefined = carootOf(ctx.env)): Promise<LoadedLab> {
  const { loadLab } = await import('../config/load.js');
  return loadLab({ dir: ctx.dir, caroot });
}
