import { randomBytes } from 'node:crypto';

/**
 * The values lab must never print. The CLI registers every secret it reads or
 * creates here, and the output layer masks them as a last line of defence.
 */
const known = new Set<string>();

export function registerSecret(value: string): string {
  if (value.length >= 8) known.add(value);
  return value;
}

export function redact(text: string): string {
  let out = text;
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** URL-safe random string with `bytes` bytes of entropy. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
