import type { PullPolicy } from '../../engine/plan.js';
import type { CliContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { loadLabFor } from '../lab.js';

export interface UpCommandOptions {
  dryRun?: boolean;
  pull: PullPolicy;
  timeout: string;
  skipRunner?: boolean;
}

export default async function up(options: UpCommandOptions, ctx: CliContext): Promise<void> {
  const timeoutMs = parseDuration(options.timeout, '--timeout');
  const { model } = await loadLabFor(ctx);
  // The engine code (dockerode, listr2) loads only now, never for `lab --version`.
  const { upStack } = await import('../../engine/up.js');
  await upStack(
    model,
    { out: ctx.out, env: ctx.env },
    { dryRun: options.dryRun === true, pull: options.pull, timeoutMs, skipRunner: options.skipRunner === true },
  );
}
