import { checkDocker, dockerApplicability, planDockerInstall, planDockerUninstall } from './docker.js';
import { checkJava, javaApplicability, planJavaInstall, planJavaUninstall } from './java.js';
import { checkNss, nssApplicability, planNssInstall, planNssUninstall } from './nss.js';
import type { TrustInstall, TrustStore } from './record.js';
import { checkSystem, planSystemInstall, planSystemUninstall, systemApplicability } from './system.js';
import type { Applicability, InstallPlan, TrustCheck, TrustContext, UninstallContext, UninstallPlan } from './types.js';

/** The four stores behind one shape, so the command and doctor treat them alike. */
export interface StoreModule {
  applicability(ctx: TrustContext): Promise<Applicability>;
  planInstall(ctx: TrustContext, recorded: TrustInstall[]): Promise<InstallPlan[]>;
  planUninstall(entry: TrustInstall, ctx: UninstallContext): Promise<UninstallPlan>;
  check(ctx: TrustContext): Promise<TrustCheck[]>;
}

export const STORES: Record<TrustStore, StoreModule> = {
  system: {
    applicability: async (ctx) => systemApplicability(ctx),
    planInstall: planSystemInstall,
    planUninstall: planSystemUninstall,
    check: checkSystem,
  },
  nss: { applicability: nssApplicability, planInstall: planNssInstall, planUninstall: planNssUninstall, check: checkNss },
  java: { applicability: javaApplicability, planInstall: planJavaInstall, planUninstall: planJavaUninstall, check: checkJava },
  docker: { applicability: dockerApplicability, planInstall: planDockerInstall, planUninstall: planDockerUninstall, check: checkDocker },
};
