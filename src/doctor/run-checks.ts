import { errorMessage, LabError } from '../util/errors.js';
import type { CheckOutcome, CheckResult, DoctorCheck, DoctorContext, DoctorReport, DoctorSummary } from './types.js';

export const DEFAULT_TIMEOUT_MS = 5000;

/** A deadline for messages: `5 s`, or `250 ms` below a second. */
export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(0)} s`;
}

export interface RunOptions {
  /** Per check, unless the check sets its own. */
  timeoutMs?: number;
}

/** A thrown error becomes a failed check: its message is the detail, a LabError's hint the fix. */
function outcomeOfError(err: unknown): CheckOutcome {
  return { status: 'fail', detail: errorMessage(err).split('\n')[0] ?? 'error', fix: err instanceof LabError ? err.hint : undefined };
}

function timedOut(check: DoctorCheck, ms: number, ctx: DoctorContext): CheckOutcome {
  if (check.onTimeout) return check.onTimeout(ms, ctx);
  return {
    status: 'fail',
    detail: `no answer within ${duration(ms)}`,
    fix: `Something on the way hangs; run \`lab doctor\` again, and if "${check.title}" keeps timing out, look at it first.`,
  };
}

/**
 * Runs one check with its own deadline. On timeout the check's signal is aborted (so its
 * requests stop) and the verdict is given at once, without waiting for the check to notice.
 */
async function runOne(check: DoctorCheck, ctx: DoctorContext, timeoutMs: number): Promise<CheckOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(timedOut(check, timeoutMs, ctx));
    }, timeoutMs);
  });
  try {
    const work = check.run(ctx, controller.signal).catch(outcomeOfError);
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every check concurrently; a check starts as soon as the checks it needs are done,
 * and is skipped when one of them did not pass. Results keep the order of `checks`.
 */
export async function runChecks(checks: readonly DoctorCheck[], ctx: DoctorContext, options: RunOptions = {}): Promise<DoctorReport> {
  const byId = new Map<string, Promise<CheckResult>>();
  const titles = new Map(checks.map((c) => [c.id, c.title]));
  const start = (check: DoctorCheck): Promise<CheckResult> => {
    const existing = byId.get(check.id);
    if (existing) return existing;
    const promise = (async (): Promise<CheckResult> => {
      const needs = (check.needs ?? []).filter((id) => titles.has(id));
      const prerequisites = await Promise.all(needs.map((id) => start(checks.find((c) => c.id === id) as DoctorCheck)));
      const blocked = prerequisites.find((p) => p.status === 'fail' || p.status === 'skip');
      const began = performance.now();
      const outcome: CheckOutcome = blocked
        ? { status: 'skip', detail: `skipped: "${blocked.title}" did not pass` }
        : await runOne(check, ctx, check.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      return {
        id: check.id,
        title: check.title,
        status: outcome.status,
        detail: outcome.detail,
        fix: outcome.status === 'ok' || outcome.status === 'skip' ? null : (outcome.fix ?? null),
        ms: Math.round(performance.now() - began),
      };
    })();
    byId.set(check.id, promise);
    return promise;
  };
  const results = await Promise.all(checks.map(start));
  return { checks: results, summary: summarize(results) };
}

export function summarize(results: readonly CheckResult[]): DoctorSummary {
  const count = (s: CheckResult['status']) => results.filter((r) => r.status === s).length;
  const fail = count('fail');
  return { ok: count('ok'), warn: count('warn'), fail, skip: count('skip'), exitCode: fail > 0 ? 1 : 0 };
}
