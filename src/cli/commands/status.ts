import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface StatusOptions {
  json?: boolean;
}

export default async function statusCommand(options: StatusOptions, ctx: CliContext): Promise<void> {
  const { model } = await loadLabFor(ctx);
  const { status, formatStatus } = await import('../../workflows/status.js');
  const report = await status(model, ctx.env);
  if (options.json) ctx.out.json(report);
  else for (const line of formatStatus(report)) ctx.out.result(line);
}
