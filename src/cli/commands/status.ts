import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface StatusOptions {
  json?: boolean;
}

export default async function status(options: StatusOptions, ctx: CliContext): Promise<void> {
  const { model } = await loadLabFor(ctx);
  const { stackStatus, formatStatus } = await import('../../engine/status.js');
  const report = await stackStatus(model, ctx.env);
  if (options.json) ctx.out.json(report);
  else for (const line of formatStatus(report)) ctx.out.result(line);
}
