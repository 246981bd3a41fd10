import type { LabModel } from '../../config/model.js';
import { errorMessage, LabError } from '../../util/errors.js';
import { buildTrustContext, storeApplicability } from './index.js';
import { readTrustRecord, storeOf, type TrustStore } from './record.js';
import { STORES } from './stores.js';
import { TRUST_STORES, type TrustCheck, type TrustContext } from './types.js';

export interface CheckTrustOptions {
  model: LabModel;
  env: NodeJS.ProcessEnv;
  /**
   * The stores to verify. Default: every store that applies on this machine plus
   * every store lab recorded an installation in.
   */
  stores?: readonly TrustStore[];
  /** Reuse a context that the caller already built. */
  context?: TrustContext;
}

/**
 * Proves trust store by store with a real verification (TLS handshakes, certutil -V,
 * keytool fingerprints). Never throws for a broken setup: a missing CA or an
 * unusable store becomes a 'fail' result with a fix, so `lab doctor` can print it.
 */
export async function checkTrust(options: CheckTrustOptions): Promise<TrustCheck[]> {
  let ctx: TrustContext;
  try {
    ctx = options.context ?? (await buildTrustContext(options.model, options.env));
  } catch (err) {
    const fix = err instanceof LabError && err.hint ? err.hint : 'Run `lab certs`.';
    return (options.stores ?? ['system']).map((store) => ({
      store,
      location: options.model.paths.caCert,
      status: 'fail',
      method: 'load the lab CA',
      detail: errorMessage(err),
      fix,
    }));
  }
  const stores = options.stores ?? (await defaultCheckStores(ctx));
  const results: TrustCheck[] = [];
  for (const store of stores) {
    try {
      results.push(...(await STORES[store].check(ctx)));
    } catch (err) {
      results.push({
        store,
        location: store,
        status: 'fail',
        method: 'check',
        detail: errorMessage(err),
        ...(err instanceof LabError && err.hint ? { fix: err.hint } : {}),
      });
    }
  }
  return results;
}

async function defaultCheckStores(ctx: TrustContext): Promise<TrustStore[]> {
  const applicable = (await storeApplicability(ctx)).filter((s) => s.applicability.applies).map((s) => s.store);
  let recorded: TrustStore[] = [];
  try {
    recorded = (await readTrustRecord(ctx.model.paths.stateDir)).map(storeOf);
  } catch {
    // A corrupt record does not stop the checks; `lab trust` reports it.
  }
  return TRUST_STORES.filter((s) => applicable.includes(s) || recorded.includes(s));
}

/** 'fail' beats 'warn' beats 'ok': the overall verdict of a list of checks. */
export function worstStatus(checks: TrustCheck[]): TrustCheck['status'] {
  if (checks.some((c) => c.status === 'fail')) return 'fail';
  if (checks.some((c) => c.status === 'warn')) return 'warn';
  return 'ok';
}
