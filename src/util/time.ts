/** Time helpers shared by every layer: sleeping that honours an abort signal, and durations for humans. */

/** What an aborted wait throws, named as fetch and timers name it, so callers can tell it from a failure. */
export function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** Whether an error is the abort of a wait (ours or the platform's). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
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

/** `3.1s` under a minute, `2m05s` above. */
export function elapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}
