import { loadLab } from '../../config/load.js';
import type { CliContext } from '../context.js';

export default async function down(_options: Record<string, unknown>, ctx: CliContext): Promise<void> {
  const { model } = await loadLab({ dir: ctx.dir, caroot: ctx.env.LAB_CAROOT || undefined });
  const { downStack } = await import('../../engine/lifecycle.js');
  await downStack(model, ctx);
}
