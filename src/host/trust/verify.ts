import { resolvePublishedAddress } from '../hosts/entries.js';
import { exists } from '../platform.js';
import { curlProbe, type HttpsTarget, type ProbeResult } from './probe.js';
import type { TrustStore } from './record.js';
import type { TrustCheck, TrustContext } from './types.js';

/** A lab host on the published https port, sent to the engine's published address. */
export async function labHttpsTarget(ctx: Pick<TrustContext, 'model' | 'endpoint'>, host: string, path: string): Promise<HttpsTarget> {
  return { host, port: ctx.model.ports.https, address: await resolvePublishedAddress(ctx.endpoint.publishedHost), path };
}

/** The certificate an offline verification should check: the lab's leaf when it exists, else the CA. */
export async function offlineSubject(ctx: Pick<TrustContext, 'model' | 'ca'>): Promise<{ cert: string; host: string | undefined }> {
  if (await exists(ctx.model.paths.leafCert)) return { cert: ctx.model.paths.leafCert, host: ctx.model.hosts.gitlab };
  return { cert: ctx.ca.path, host: undefined };
}

export interface VerifyHttpsOptions {
  location: string;
  /** Trust only this file (`curl --cacert`); undefined = the system trust. */
  caFile: string | undefined;
  /** A verification that needs no running lab, used when the lab does not answer. */
  fallback: (() => Promise<ProbeResult>) | undefined;
  fix: string;
}

/**
 * The real test: an HTTPS request to the running lab that must pass certificate
 * verification. When the lab is not up, `fallback` still verifies the certificate
 * against the store offline, and the result says so.
 */
export async function verifyHttps(
  ctx: TrustContext,
  store: TrustStore,
  target: HttpsTarget,
  options: VerifyHttpsOptions,
): Promise<TrustCheck> {
  const url = `https://${target.host}:${target.port}${target.path}`;
  const probe = await curlProbe(target, { ...(options.caFile ? { caFile: options.caFile } : {}), env: ctx.env, platform: ctx.platform.os });
  const base = { store, location: options.location };
  switch (probe.outcome) {
    case 'verified':
      return {
        ...base,
        status: 'ok',
        method: `TLS handshake: ${probe.command}`,
        detail: `${url} verified (HTTP ${probe.httpCode ?? '?'})`,
      };
    case 'untrusted':
      return { ...base, status: 'fail', method: `TLS handshake: ${probe.command}`, detail: `${url}: ${probe.detail}`, fix: options.fix };
    case 'error':
      return {
        ...base,
        status: 'fail',
        method: `TLS handshake: ${probe.command}`,
        detail: `${url}: ${probe.detail}`,
        fix: 'Check that the lab answers on that port (`lab status`), then run the check again.',
      };
    case 'unreachable':
    case 'no-tool': {
      const why = probe.outcome === 'unreachable' ? `the lab does not answer at ${url} (${probe.detail})` : probe.detail;
      if (!options.fallback) {
        return {
          ...base,
          status: 'warn',
          method: `TLS handshake: ${probe.command}`,
          detail: `cannot verify: ${why}`,
          fix: 'Start the lab (`lab up`) and run the check again.',
        };
      }
      const offline = await options.fallback();
      if (offline.outcome === 'verified')
        return { ...base, status: 'ok', method: offline.command, detail: `${why}; verified offline instead: ${offline.detail}` };
      if (offline.outcome === 'untrusted')
        return {
          ...base,
          status: 'fail',
          method: offline.command,
          detail: `${why}; offline verification failed: ${offline.detail}`,
          fix: options.fix,
        };
      return {
        ...base,
        status: 'warn',
        method: offline.command,
        detail: `cannot verify: ${why}, and ${offline.detail}`,
        fix: 'Start the lab (`lab up`) and run the check again.',
      };
    }
  }
}
