import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export default async function down(_options: Record<string, unknown>, ctx: CliContext): Promise<void> {
  const { model } = await loadLabFor(ctx);
  const { downStack } = await import('../../engine/lifecycle.js');
  await downStack(model, ctx);
}
