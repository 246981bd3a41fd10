import type { LabModel } from '../config/model.js';
import { buildCheck } from './checks/build.js';
import { caCertCheck, leafCertCheck } from './checks/certs.js';
import { dnsChecks } from './checks/dns.js';
import { engineCheck } from './checks/engine.js';
import { memoryCheck } from './checks/memory.js';
import { portsCheck } from './checks/ports.js';
import { gitlabReadyCheck, readinessCheck } from './checks/readiness.js';
import { runnerCheck } from './checks/runner-contact.js';
import { trustChecks } from './checks/trust.js';
import { doctorContext } from './context.js';
import { type RunOptions, runChecks } from './run-checks.js';
import type { DoctorCheck, DoctorReport } from './types.js';

export type { CheckResult, DoctorReport, DoctorStatus, DoctorSummary } from './types.js';

/** Every check, in the order `lab doctor` prints them. */
export function doctorChecks(model: LabModel): DoctorCheck[] {
  return [
    engineCheck,
    portsCheck,
    memoryCheck,
    ...dnsChecks(model),
    ...trustChecks,
    caCertCheck,
    leafCertCheck,
    gitlabReadyCheck,
    readinessCheck,
    runnerCheck,
    buildCheck,
  ];
}

export interface DoctorOptions extends RunOptions {
  /** The lab folder as the user gave it (`--dir`), for the fixes. */
  dir: string;
  env: NodeJS.ProcessEnv;
}

export function runDoctor(model: LabModel, options: DoctorOptions): Promise<DoctorReport> {
  return runChecks(doctorChecks(model), doctorContext(model, options.env, options.dir), options);
}
