import { firstLine as genericFirstLine } from '../util/errors.js';

/**
 * Reading the Engine API's errors. docker-modem puts the HTTP status on `statusCode` and
 * prefixes its messages with "(HTTP code N) <reason> - ", which users need not see.
 */

/** The engine's HTTP status of a failed call; undefined when no answer arrived. */
export function statusOf(err: unknown): number | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { statusCode?: unknown }).statusCode : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** Runs `work`, treating the given statuses as success (304 "already stopped", 404 "gone"). */
export async function tolerate(statuses: number[], work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!statuses.includes(statusOf(err) ?? 0)) throw err;
  }
}

/** The first line of an engine error message, without docker-modem's HTTP prefix: fit for a one-line error. */
export function firstLine(message: string): string {
  return genericFirstLine(message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, ''));
}
