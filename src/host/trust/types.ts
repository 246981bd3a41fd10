import type { LabModel } from '../../config/model.js';
import type { EngineEndpoint } from '../../engine/endpoint.js';
import type { PlatformInfo } from '../platform.js';
import type { Privilege, Step } from '../privilege.js';
import type { LabCa } from './lab-ca.js';
import type { TrustInstall, TrustStore } from './record.js';

export const TRUST_STORES: readonly TrustStore[] = ['system', 'nss', 'java', 'docker'];

/** Everything a store needs to plan an installation or a check. */
export interface TrustContext {
  model: LabModel;
  ca: LabCa;
  platform: PlatformInfo;
  endpoint: EngineEndpoint;
  env: NodeJS.ProcessEnv;
  privilege: Privilege;
}

/** What a store needs to undo a recorded installation (the CA may be gone by then). */
export interface UninstallContext {
  platform: PlatformInfo;
  env: NodeJS.ProcessEnv;
  privilege: Privilege;
}

/** Whether a store applies on this machine, and if not, why (and what to do). */
export interface Applicability {
  applies: boolean;
  reason: string;
  hint?: string;
}

export type InstallStatus =
  /** Steps will put the CA there. */
  | 'install'
  /** The CA is there and lab recorded it. */
  | 'installed'
  /** The CA is there, but lab did not put it there: left alone, not recorded. */
  | 'present'
  /** Something else occupies the place; lab will not overwrite it. */
  | 'conflict'
  /** The store cannot be used (a tool is missing). */
  | 'unavailable';

export interface InstallPlan {
  store: TrustStore;
  location: string;
  status: InstallStatus;
  steps: Step[];
  /** The record to write once the steps succeeded (status 'install'). */
  record?: TrustInstall;
  message?: string;
  hint?: string;
}

export interface UninstallPlan {
  entry: TrustInstall;
  steps: Step[];
  /** Why something recorded is left in place (e.g. the file now holds another certificate). */
  notes: string[];
}

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One verified statement about one store; `lab doctor` prints these as they are. */
export interface TrustCheck {
  store: TrustStore;
  location: string;
  status: CheckStatus;
  /** How it was verified, e.g. "TLS handshake with curl (system trust)". */
  method: string;
  detail: string;
  /** A concrete next step when the status is not ok. */
  fix?: string;
}
