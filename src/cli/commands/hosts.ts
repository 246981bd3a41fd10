import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveEndpoint } from '../../engine/endpoint.js';
import { HostsFileError } from '../../host/hosts/block.js';
import { type HostsTarget, planHosts, systemHostsFile } from '../../host/hosts/entries.js';
import { applyHostsBlock, HostsAccessError } from '../../host/hosts/file.js';
import { shellQuote } from '../../host/privilege.js';
import { fail, UsageError } from '../../util/errors.js';
import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface HostsOptions {
  write?: boolean;
  remove?: boolean;
  target: HostsTarget;
  file?: string;
}

export default async function hosts(options: HostsOptions, ctx: CliContext): Promise<void> {
  if (options.write && options.remove)
    throw new UsageError('--write and --remove exclude each other', 'Pass one of them, or neither to print the lines.');
  const { model } = await loadLabFor(ctx);
  const file = options.file ?? systemHostsFile(process.platform, ctx.env);
  const out = ctx.out;

  try {
    if (options.remove) {
      const change = await applyHostsBlock(file, model.name, undefined);
      out.result(
        change === 'removed'
          ? `removed the lab "${model.name}" block from ${file}`
          : `no lab "${model.name}" block in ${file}; nothing to remove`,
      );
      return;
    }
    const endpoint = await resolveEndpoint(ctx.env);
    const plan = await planHosts(model, endpoint, options.target, process.platform);
    for (const note of plan.notes) out.warn(`note: ${note}`);
    if (!options.write) {
      for (const e of plan.entries) out.result(`${e.ip} ${e.host}`);
      return;
    }
    const change = await applyHostsBlock(file, model.name, plan.entries, process.platform === 'win32' ? '\r\n' : '\n');
    const what = `${plan.entries.length} hosts → ${plan.address}`;
    out.result(
      change === 'unchanged'
        ? `unchanged ${file} (${what})`
        : `${change === 'created' ? 'added' : 'updated'} the lab "${model.name}" block in ${file} (${what})`,
    );
    // dockerd caches the hosts file and looks again only every few seconds (seen: up to 5 s),
    // so a `docker push` right after a change may still use the old address.
    if (change !== 'unchanged' && options.file === undefined)
      out.info('note: the Docker daemon picks up hosts-file changes within about 5 seconds.');
  } catch (err) {
    if (err instanceof HostsAccessError) throw fail(err.message, elevationHint(ctx, options));
    if (err instanceof HostsFileError)
      throw fail(
        `${file}: ${err.message}`,
        'Fix the lab markers by hand (each block needs its "# >>> lab" and "# <<< lab" line), then run lab again.',
      );
    throw err;
  }
}

/** The same command with absolute paths, ready to paste after `sudo`. */
function elevationHint(ctx: CliContext, options: HostsOptions): string {
  const entry = process.argv[1] ? safeRealpath(process.argv[1]) : 'lab';
  const argv = [process.execPath, entry, '--dir', resolve(ctx.dir), 'hosts', options.remove ? '--remove' : '--write'];
  if (!options.remove) argv.push('--target', options.target);
  if (options.file !== undefined) argv.push('--file', resolve(options.file));
  const command = argv.map(shellQuote).join(' ');
  if (process.platform === 'win32') return `Run it from an elevated (Administrator) terminal: ${command}`;
  return `Run it with sudo: sudo ${command}`;
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
