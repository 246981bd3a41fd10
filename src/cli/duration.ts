import { UsageError } from '../util/errors.js';

/** Parses "90", "90s", "15m", "1h30m" into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const re = /(\d+)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    consumed = re.lastIndex;
  }
  if (consumed !== trimmed.length || consumed === 0) {
    throw new UsageError(`${flag} "${text}" is not a duration`, 'Use a number of seconds or a value such as 90s, 15m or 1h.');
  }
  return total;
}
