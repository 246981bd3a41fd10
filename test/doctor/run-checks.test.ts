import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import { doctorContext } from '../../src/doctor/context.js';
import { runChecks } from '../../src/doctor/run-checks.js';
import type { CheckOutcome, DoctorCheck } from '../../src/doctor/types.js';
import { LabError } from '../../src/util/errors.js';

/**
 * The runner on its own, with checks written here: deadlines, prerequisites, errors,
 * order. The real checks are exercised through the CLI in the other files.
 */

const model = buildModel(parseConfig('name: runner-test\n'), { dir: '/labs/runner-test' });
const ctx = doctorContext(model, { DOCKER_HOST: 'unix:///nonexistent.sock' }, '.');

const check = (id: string, run: DoctorCheck['run'], extra: Partial<DoctorCheck> = {}): DoctorCheck => ({
  id,
  title: `check ${id}`,
  run,
  ...extra,
});
const ok = (detail = 'fine'): Promise<CheckOutcome> => Promise.resolve({ status: 'ok', detail });

describe('doctor runner', () => {
  it('gives a check that never answers its verdict at the deadline and aborts its signal', async () => {
    let aborted = false;
    const hang = check('hang', (_ctx, signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return new Promise<CheckOutcome>(() => undefined);
    });
    const report = await runChecks([hang, check('quick', () => ok())], ctx, { timeoutMs: 100 });
    expect(report.checks[0]).toMatchObject({ id: 'hang', status: 'fail', detail: 'no answer within 100 ms' });
    expect(report.checks[0]?.fix).toMatch(/run `lab doctor` again/);
    expect(aborted).toBe(true);
    expect(report.checks[1]).toMatchObject({ id: 'quick', status: 'ok', fix: null });
    expect(report.summary).toEqual({ ok: 1, warn: 0, fail: 1, skip: 0, exitCode: 1 });
  });

  it("uses a check's own timeout verdict (e.g. a slow resolver is only a warning)", async () => {
    const slow = check('slow', () => new Promise<CheckOutcome>(() => undefined), {
      timeoutMs: 50,
      onTimeout: () => ({ status: 'warn', detail: 'slow', fix: 'wait' }),
    });
    const report = await runChecks([slow], ctx, { timeoutMs: 60_000 });
    expect(report.checks[0]).toMatchObject({ status: 'warn', detail: 'slow', fix: 'wait' });
    expect(report.summary.exitCode).toBe(0);
  });

  it('runs independent checks concurrently', async () => {
    // a waits for b to have started: run one after the other, a would time out.
    let started!: () => void;
    const bStarted = new Promise<void>((resolve) => (started = resolve));
    const a = check('a', async () => {
      await bStarted;
      return ok('saw b start');
    });
    const b = check('b', () => {
      started();
      return ok();
    });
    const report = await runChecks([a, b], ctx, { timeoutMs: 2000 });
    expect(report.checks.map((c) => c.status)).toEqual(['ok', 'ok']);
  });

  it('skips a check whose prerequisite failed or was skipped, and runs it when it passed or warned', async () => {
    const checks = [
      check('dependent', () => ok(), { needs: ['base'] }),
      check('base', () => Promise.reject(new LabError('the base is broken', { hint: 'repair the base' }))),
      check('second', () => ok(), { needs: ['dependent'] }),
      check('warned', () => Promise.resolve({ status: 'warn', detail: 'meh', fix: 'x' })),
      check('after-warn', () => ok(), { needs: ['warned'] }),
    ];
    const report = await runChecks(checks, ctx);
    const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    // Order is the given order, not completion order.
    expect(report.checks.map((c) => c.id)).toEqual(['dependent', 'base', 'second', 'warned', 'after-warn']);
    expect(by.base).toMatchObject({ status: 'fail', detail: 'the base is broken', fix: 'repair the base' });
    expect(by.dependent).toMatchObject({ status: 'skip', detail: 'skipped: "check base" did not pass', fix: null });
    expect(by.second).toMatchObject({ status: 'skip', detail: 'skipped: "check dependent" did not pass' });
    expect(by['after-warn']?.status).toBe('ok');
    expect(report.summary).toEqual({ ok: 1, warn: 1, fail: 1, skip: 2, exitCode: 1 });
  });

  it('turns a plain error into a failed check with its first line, and keeps no fix for ok', async () => {
    const report = await runChecks([check('boom', () => Promise.reject(new Error('first line\nsecond line')))], ctx);
    expect(report.checks[0]).toMatchObject({ status: 'fail', detail: 'first line', fix: null });
  });
});
