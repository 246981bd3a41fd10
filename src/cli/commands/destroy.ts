import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface DestroyOptions {
  yes?: boolean;
  purgeCerts?: boolean;
}

export default async function destroy(options: DestroyOptions, ctx: CliContext): Promise<number> {
  const { model } = await loadLabFor(ctx);
  const { destroyStack } = await import('../../engine/destroy.js');
  return destroyStack(model, ctx, { yes: options.yes === true, purgeCerts: options.purgeCerts === true });
}
