import { errnoCode, errorMessage } from '../util/errors.js';
import { firstLine } from './errors.js';
import { type LabHttpsClient, type LabRoute, tlsHandshake } from './https.js';

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

function describeError(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'ETIMEDOUT') return 'no answer';
  return code ?? firstLine(errorMessage(err));
}

/** The proxy's HTTPS entry point completes a TLS handshake with a certificate the lab CA vouches for. */
export function tlsEntryPoint(route: LabRoute, host: string, attemptMs = 2000): WaitStrategy {
  return {
    description: `HTTPS entry point at ${route.publishedHost}:${route.port}`,
    async check() {
      try {
        const r = await tlsHandshake(route, host, attemptMs);
        return r.authorized ? { ready: true } : { ready: false, detail: `certificate not trusted by the lab CA (${r.error ?? 'unknown'})` };
      } catch (err) {
        return { ready: false, detail: describeError(err) };
      }
    },
  };
}

/** An HTTPS GET through the proxy answers with the expected status. */
export function httpStatus(client: LabHttpsClient, host: string, path: string, expect = 200, attemptMs = 2000): WaitStrategy {
  return {
    description: `GET https://${host}${client.route.port === 443 ? '' : `:${client.route.port}`}${path} → ${expect}`,
    async check(signal) {
      try {
        const res = await client.request({ host, path, timeoutMs: attemptMs, signal });
        return res.status === expect ? { ready: true } : { ready: false, detail: `HTTP ${res.status}` };
      } catch (err) {
        return { ready: false, detail: describeError(err) };
      }
    },
  };
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

/** What an aborted wait throws, named as fetch and timers name it, so callers can tell it from a failure. */
export function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/**
 * Resolves after `ms`, or early when `signal` aborts. The abort listener is removed again:
 * loops that sleep many times on one signal must not pile listeners onto it.
 */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

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
