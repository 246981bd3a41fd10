import { createInterface } from 'node:readline/promises';
import { UsageError } from '../../util/errors.js';
import type { Inventory } from '../../workflows/destroy.js';
import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';
import { withLock } from '../lock.js';
import { createReporter } from '../progress/index.js';

export interface DestroyCommandOptions {
  yes?: boolean;
  purgeCerts?: boolean;
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export default async function destroyCommand(options: DestroyCommandOptions, ctx: CliContext): Promise<number> {
  const { out } = ctx;
  const { model } = await loadLabFor(ctx);
  if (options.yes !== true && !(out.interactive && process.stdin.isTTY === true)) {
    throw new UsageError(
      `refusing to destroy stack "${model.name}" without --yes: there is no terminal to ask for confirmation`,
      'Run `lab destroy --yes` to remove its containers, network and volumes (all GitLab data is lost).',
    );
  }
  const confirm = async (inv: Inventory): Promise<boolean> => {
    if (options.yes) return true;
    out.info(`This removes from ${inv.engine}:`);
    for (const c of inv.containers) out.info(`  container ${c}`);
    for (const n of inv.networks) out.info(`  network   ${n}`);
    for (const v of inv.volumes) out.info(`  volume    ${v}  (GitLab data is lost)`);
    if (inv.certs.length > 0) out.info(`  and the certificates in ${inv.certs.join(' and ')}`);
    return ask(`Destroy stack "${model.name}"? [y/N] `);
  };
  const { destroy } = await import('../../workflows/destroy.js');
  const result = await withLock(model, 'destroy', ctx, () =>
    destroy(model, { env: ctx.env, progress: createReporter(out) }, { purgeCerts: options.purgeCerts === true, confirm }),
  );
  if (result.kind === 'nothing') {
    out.result(`nothing to remove: stack "${result.stack}" has no containers, network or volumes on ${result.engine}`);
    return 0;
  }
  if (result.kind === 'aborted') {
    out.result('aborted; nothing was removed');
    return 1;
  }
  for (const what of result.removed) out.result(`removed ${what}`);
  if (result.keptCa) out.info(`kept the CA in ${result.keptCa}: it lives outside this lab folder and may be shared`);
  if (options.purgeCerts !== true) out.info('Kept certs/ (the CA stays trusted where you installed it); --purge-certs removes it.');
  return 0;
}
