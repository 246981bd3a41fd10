import { errnoCode, errorMessage, firstLine } from '../util/errors.js';
import type { WaitStrategy } from '../util/wait.js';
import { type LabHttpsClient, type LabRoute, tlsHandshake } from './https.js';

/** Readiness checks over the network, through the proxy's published HTTPS port. */

export function describeNetError(err: unknown): string {
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
        return { ready: false, detail: describeNetError(err) };
      }
    },
  };
}

/**
 * An HTTPS GET through the proxy gets an answer whose status passes `accept` (by default:
 * exactly `expect`). Any HTTP answer from the upstream proves the path through the proxy.
 */
export function httpAnswer(
  client: LabHttpsClient,
  host: string,
  path: string,
  accept: { description: string; ok(status: number): boolean },
  attemptMs = 2000,
): WaitStrategy {
  return {
    description: `GET https://${host}${client.route.port === 443 ? '' : `:${client.route.port}`}${path} → ${accept.description}`,
    async check(signal) {
      try {
        const res = await client.request({ host, path, timeoutMs: attemptMs, signal });
        return accept.ok(res.status) ? { ready: true } : { ready: false, detail: `HTTP ${res.status}` };
      } catch (err) {
        return { ready: false, detail: describeNetError(err) };
      }
    },
  };
}

/** An HTTPS GET through the proxy answers with exactly `expect`. */
export function httpStatus(client: LabHttpsClient, host: string, path: string, expect = 200, attemptMs = 2000): WaitStrategy {
  return httpAnswer(client, host, path, { description: String(expect), ok: (s) => s === expect }, attemptMs);
}
