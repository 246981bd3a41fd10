import { resolve } from 'node:path';
import type { LoadedLab } from '../config/load.js';
import { shellQuote } from '../host/privilege.js';
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
  const [{ loadLab }, engineSocket] = await Promise.all([import('../config/load.js'), localEngineSocket(ctx.env)]);
  return loadLab({ dir: ctx.dir, caroot, engineSocket });
}

/**
 * The unix socket of the engine DOCKER_HOST or the Docker context names, when it is one:
 * rootless Docker and Podman keep theirs elsewhere than /var/run/docker.sock, and the runner
 * must mount the socket of the engine it runs on. Resolving reads the environment and the
 * context files only; nothing connects. An unusable endpoint is left for the commands that
 * need the engine to report.
 */
async function localEngineSocket(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { resolveEndpoint, socketPathOf } = await import('../engine/endpoint.js');
  try {
    const endpoint = await resolveEndpoint(env);
    return endpoint.kind === 'unix' ? socketPathOf(endpoint) : undefined;
  } catch {
    return undefined;
  }
}

/** A lab command as the user types it for this folder: `lab --dir x <args>` when --dir was given. */
export function labCommand(ctx: CliContext): (args: string) => string {
  return (args) => `lab${ctx.dir === '.' ? '' : ` --dir ${shellQuote(ctx.dir)}`} ${args}`;
}
