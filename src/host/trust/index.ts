import type { LabModel } from '../../config/model.js';
import { resolveEndpoint } from '../../engine/endpoint.js';
import { detectPlatform, type PlatformInfo } from '../platform.js';
import type { Privilege } from '../privilege.js';
import { loadLabCa } from './lab-ca.js';
import { storeOf, type TrustInstall, type TrustStore } from './record.js';
import { STORES } from './stores.js';
import {
  type Applicability,
  type InstallPlan,
  TRUST_STORES,
  type TrustContext,
  type UninstallContext,
  type UninstallPlan,
} from './types.js';

export function privilegeOf(platform: PlatformInfo): Privilege {
  return { isRoot: platform.isRoot, canSudo: platform.os !== 'win32' };
}

/** Loads the CA (which must exist), the platform and the engine endpoint. */
export async function buildTrustContext(model: LabModel, env: NodeJS.ProcessEnv): Promise<TrustContext> {
  const [ca, platform, endpoint] = await Promise.all([loadLabCa(model), detectPlatform(env), resolveEndpoint(env)]);
  return { model, ca, platform, endpoint, env, privilege: privilegeOf(platform) };
}

export async function buildUninstallContext(env: NodeJS.ProcessEnv): Promise<UninstallContext> {
  const platform = await detectPlatform(env);
  return { platform, env, privilege: privilegeOf(platform) };
}

export interface StoreSelection {
  store: TrustStore;
  applicability: Applicability;
}

/** Every store with whether it applies here: the default set of `lab trust` is the ones that do. */
export async function storeApplicability(ctx: TrustContext, stores: readonly TrustStore[] = TRUST_STORES): Promise<StoreSelection[]> {
  return Promise.all(stores.map(async (store) => ({ store, applicability: await STORES[store].applicability(ctx) })));
}

export async function planInstall(ctx: TrustContext, stores: readonly TrustStore[], recorded: TrustInstall[]): Promise<InstallPlan[]> {
  const plans: InstallPlan[] = [];
  for (const store of stores) plans.push(...(await STORES[store].planInstall(ctx, recorded)));
  return plans;
}

export async function planUninstall(entries: TrustInstall[], ctx: UninstallContext): Promise<UninstallPlan[]> {
  const plans: UninstallPlan[] = [];
  for (const entry of entries) plans.push(await STORES[storeOf(entry)].planUninstall(entry, ctx));
  return plans;
}
