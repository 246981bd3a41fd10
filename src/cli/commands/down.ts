import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';
import { withLock } from '../lock.js';
import { createReporter } from '../progress/index.js';

export default async function downCommand(_options: Record<string, unknown>, ctx: CliContext): Promise<void> {
  const { model } = await loadLabFor(ctx);
  const { down } = await import('../../workflows/down.js');
  const result = await withLock(model, 'down', ctx, () => down(model, { env: ctx.env, progress: createReporter(ctx.out) }));
  if (result.stopped.length === 0) {
    ctx.out.result(`nothing running in stack "${result.stack}"`);
    return;
  }
  for (const name of result.stopped) ctx.out.result(`stopped ${name}`);
  ctx.out.info('Data, network and volumes are kept; `lab up` starts the lab again.');
}
