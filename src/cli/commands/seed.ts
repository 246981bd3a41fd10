import { silentProgress } from '../../progress/events.js';
import { UsageError } from '../../util/errors.js';
import type { CliContext } from '../context.js';
import { parseDuration } from '../duration.js';
import { loadLabFor } from '../lab.js';
import { withLock } from '../lock.js';
import { createReporter } from '../progress/index.js';

export interface SeedCommandOptions {
  file?: string;
  attendees?: string;
  handout?: boolean;
  wait?: boolean;
  timeout: string;
  reset?: string;
  remove?: boolean;
  json?: boolean;
  lesson?: 'job-token';
  concurrency: string;
}

/** API calls at a time: GitLab answers a handful at once best, and a class of 30 makes hundreds. */
const DEFAULT_CONCURRENCY = 8;

function concurrencyOf(text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--concurrency: "${text}" is not a whole number from 1 to 64`);
  return n;
}

export default async function seedCommand(options: SeedCommandOptions, ctx: CliContext): Promise<number> {
  const { out } = ctx;
  const modes = [options.handout && '--handout', options.remove && '--remove', options.reset !== undefined && '--reset'].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`${modes.join(' and ')} cannot be combined`, 'Run them one after the other.');
  if (options.lesson !== undefined && (options.remove || options.handout))
    throw new UsageError(`--lesson cannot be combined with ${options.remove ? '--remove' : '--handout'}`);
  const concurrency = concurrencyOf(options.concurrency ?? ctx.env.LAB_SEED_CONCURRENCY ?? String(DEFAULT_CONCURRENCY));
  const timeoutMs = parseDuration(options.timeout, '--timeout');
  const { parseAttendeesOption } = await import('../../seed/attendees.js');
  const attendees = options.attendees === undefined ? undefined : parseAttendeesOption(options.attendees);
  const { model, configFile } = await loadLabFor(ctx);
  const workflows = await import('../../workflows/seed.js');
  const progress = options.json ? silentProgress : createReporter(out);
  const wf = { env: ctx.env, progress };

  if (options.handout) {
    const sheet = await workflows.handoutSheet(model);
    if (options.json) out.secret(JSON.stringify({ url: sheet.url, attendees: sheet.attendees }, null, 2));
    else for (const line of sheet.lines) out.secret(line);
    return 0;
  }

  if (options.remove) {
    const result = await withLock(model, 'seed', ctx, () => workflows.removeSeed(model, wf, { concurrency }));
    if (options.json) out.json(result);
    else if (result.summary.length === 0) out.result('nothing to remove: lab has seeded nothing in this lab');
    else for (const line of result.summary) out.result(line);
    return 0;
  }

  const result = await withLock(model, 'seed', ctx, () =>
    workflows.seed(model, wf, {
      file: options.file,
      attendees,
      lesson: options.lesson,
      reset: options.reset,
      wait: options.wait === true,
      timeoutMs,
      concurrency,
      configFile,
    }),
  );
  const failed = (result.pipelines ?? []).filter((p) => p.status !== 'success');
  if (options.json) {
    out.json(result);
    return failed.length > 0 && options.lesson === undefined ? 1 : 0;
  }
  out.info('');
  out.result(`seeded ${result.source}${options.lesson ? ` for the ${options.lesson} lesson` : ''} (${result.apiCalls} API calls)`);
  for (const line of result.summary) out.result(`  ${line}`);
  if (result.attendees.length > 0) out.info(`  ${result.attendees.length} attendees: \`lab seed --handout\` prints their sheet`);
  for (const p of result.pipelines ?? []) {
    out.result(`  ${p.project.padEnd(32)} ${p.status.padEnd(8)} ${p.url ?? ''}${p.image ? `  image ${p.image}` : ''}`);
    if (p.failure) {
      out.result(`    job ${p.failure.job} failed; its last lines:`);
      for (const line of p.failure.lines) out.result(`      ${line}`);
    }
  }
  if (failed.length > 0 && options.lesson !== undefined) {
    out.info('');
    out.info('  The failure is the lesson: run `lab seed` again (without --lesson) to add the job token allowlist entry.');
    return 0;
  }
  return failed.length > 0 ? 1 : 0;
}
