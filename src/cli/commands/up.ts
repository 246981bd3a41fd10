import type { PullPolicy } from '../../engine/plan.js';
import type { CliContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { labCommand, loadLabFor } from '../lab.js';
import { withLock } from '../lock.js';
import { createReporter } from '../progress/index.js';

export interface UpCommandOptions {
  dryRun?: boolean;
  pull: PullPolicy;
  timeout: string;
  skipRunner?: boolean;
}

export default async function upCommand(options: UpCommandOptions, ctx: CliContext): Promise<void> {
  const timeoutMs = parseDuration(options.timeout, '--timeout');
  const { model } = await loadLabFor(ctx);
  // The engine code (dockerode, listr2) loads only now, never for `lab --version`.
  const { up } = await import('../../workflows/up.js');
  const run = () =>
    up(
      model,
      { env: ctx.env, progress: createReporter(ctx.out), lab: labCommand(ctx) },
      { dryRun: options.dryRun === true, pull: options.pull, timeoutMs, skipRunner: options.skipRunner === true },
    );
  // A dry run changes nothing, so it takes no lock.
  const result = options.dryRun ? await run() : await withLock(model, 'up', ctx, run);
  if (result.kind === 'plan') {
    ctx.out.result(`plan for stack "${result.stack}" on ${result.engine} (dry run, nothing changed):`);
    for (const line of result.lines) ctx.out.result(`  ${line}`);
    return;
  }
  ctx.out.info('');
  for (const line of result.summary.result) ctx.out.result(line);
  ctx.out.info('');
  for (const line of result.summary.info) ctx.out.info(line);
  if (result.daemon.length > 0) {
    // Jobs of the socket strategy build and push through the engine host's daemon.
    ctx.out.warn('');
    ctx.out.warn(
      `${ctx.out.style.yellow('socket mode:')} jobs use the engine host's Docker daemon, which lab's wiring of jobs does not reach:`,
    );
    for (const f of result.daemon)
      ctx.out.warn(`  ${f.status === 'missing' ? 'missing' : 'unchecked'}: ${f.detail}${f.fix ? `\n    fix: ${f.fix}` : ''}`);
  }
}
