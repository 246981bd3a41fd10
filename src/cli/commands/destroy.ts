import { loadLab } from '../../config/load.js';
import type { CliContext } from '../context.js';

export interface DestroyOptions {
  yes?: boolean;
  purgeCerts?: boolean;
}

export default async function destroy(options: DestroyOptions, ctx: CliContext): Promise<number> {
  const { model } = await loadLab({ dir: ctx.dir, caroot: ctx.env.LAB_CAROOT || undefined });
  const { destroyStack } = await import('../../engine/destroy.js');
  return destroyStack(model, ctx, { yes: options.yes === true, purgeCerts: options.purgeCerts === true });
}
