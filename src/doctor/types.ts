import type { LabModel } from '../config/model.js';
import type { EngineEndpoint } from '../engine/endpoint.js';
import type { EngineFacts } from './engine-facts.js';

/**
 * `skip` only ever follows a failed prerequisite (e.g. no engine → no port check), so
 * it never hides a problem: the prerequisite itself is reported as `fail`.
 */
export type DoctorStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** What one check found; `fix` is a concrete next step whenever the status is not ok. */
export interface CheckOutcome {
  status: DoctorStatus;
  detail: string;
  fix?: string | undefined;
}

/** One line of `lab doctor`, and one entry of `--json`'s `checks`. */
export interface CheckResult {
  id: string;
  title: string;
  status: DoctorStatus;
  detail: string;
  /** null when there is nothing to fix (kept in the JSON so every entry has the same keys). */
  fix: string | null;
  /** How long the check took, in milliseconds. */
  ms: number;
}

export interface DoctorSummary {
  ok: number;
  warn: number;
  fail: number;
  skip: number;
  /** What `lab doctor` exits with: 1 when any check failed. */
  exitCode: 0 | 1;
}

export interface DoctorReport {
  checks: CheckResult[];
  summary: DoctorSummary;
}

/**
 * What the checks share. The getters are memoised, so the engine is asked once however
 * many checks need it, and a dead engine costs its 2 s connect timeout once.
 */
export interface DoctorContext {
  model: LabModel;
  env: NodeJS.ProcessEnv;
  /** `lab` plus the `--dir` the user gave, so every fix can be pasted as printed. */
  lab(args: string): string;
  endpoint(): Promise<EngineEndpoint>;
  engine(): Promise<EngineFacts>;
}

export interface DoctorCheck {
  id: string;
  title: string;
  /** Checks whose failure (or skip) makes this one pointless: it is then skipped. */
  needs?: readonly string[];
  /** Overrides the runner's default per-check timeout. */
  timeoutMs?: number;
  /** The verdict when the check does not finish in time (default: fail). */
  onTimeout?: (ms: number, ctx: DoctorContext) => CheckOutcome;
  run(ctx: DoctorContext, signal: AbortSignal): Promise<CheckOutcome>;
}
