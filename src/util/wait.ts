import { sleep } from './time.js';

/**
 * Readiness as small strategy objects (after testcontainers' wait strategies): each
 * knows how to check once; `waitFor` owns polling, timing and cancellation.
 */
export interface Check {
  ready: boolean;
  /** Why it is not ready yet (shown while waiting and in the timeout error). */
  detail?: string;
}

export interface WaitStrategy {
  /** What is checked, e.g. "HTTPS entry point at 127.0.0.1:443". */
  readonly description: string;
  check(signal: AbortSignal): Promise<Check>;
}

export interface WaitOptions {
  timeoutMs: number;
  /** The pause between checks; ≤ 500 ms keeps the detection lag under a second. */
  intervalMs?: number;
  /** When set, the pause starts at `intervalMs` and grows by half after each check up to this: early success is noticed at once. */
  maxIntervalMs?: number;
  signal?: AbortSignal;
  /** Called after each check with the elapsed time and the last reason. */
  onTick?: (elapsedMs: number, detail: string | undefined) => void;
  /**
   * Called every few checks; returns a reason when waiting is pointless (the
   * container exited), which ends the wait at once.
   */
  gaveUp?: () => Promise<string | undefined>;
}

export type WaitOutcome =
  | { ready: true; elapsedMs: number }
  | { ready: false; elapsedMs: number; reason: 'timeout' | 'gave-up' | 'aborted'; detail: string | undefined };

export async function waitFor(strategy: WaitStrategy, options: WaitOptions): Promise<WaitOutcome> {
  const started = Date.now();
  let interval = options.intervalMs ?? 250;
  const signal = options.signal ?? new AbortController().signal;
  let detail: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (signal.aborted) return { ready: false, elapsedMs: Date.now() - started, reason: 'aborted', detail };
    const result = await strategy.check(signal);
    const elapsedMs = Date.now() - started;
    if (result.ready) return { ready: true, elapsedMs };
    detail = result.detail;
    options.onTick?.(elapsedMs, detail);
    if (options.gaveUp && attempt % 8 === 7) {
      const why = await options.gaveUp();
      if (why !== undefined) return { ready: false, elapsedMs, reason: 'gave-up', detail: why };
    }
    if (elapsedMs >= options.timeoutMs) return { ready: false, elapsedMs, reason: 'timeout', detail };
    await sleep(Math.min(interval, Math.max(0, options.timeoutMs - elapsedMs)), signal);
    if (options.maxIntervalMs !== undefined) interval = Math.min(interval * 1.5, options.maxIntervalMs);
  }
}
