import { type LabRun, runLab } from './cli.js';

/** One entry of `lab doctor --json`. */
export interface DoctorJsonCheck {
  id: string;
  title: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix: string | null;
}

export interface DoctorJson {
  checks: DoctorJsonCheck[];
  summary: { ok: number; warn: number; fail: number; skip: number; exitCode: number };
}

export interface DoctorRun {
  run: LabRun;
  report: DoctorJson;
  /** The check with this id; throws when doctor did not report it. */
  check(id: string): DoctorJsonCheck;
}

/**
 * Runs `lab doctor --json` as a user would. A doctor that hangs is killed after
 * `timeoutMs` and the run then fails to parse, which fails the test.
 */
export async function doctorJson(dir: string, env: Record<string, string | undefined> = {}, timeoutMs = 60_000): Promise<DoctorRun> {
  const run = await runLab(['--dir', dir, 'doctor', '--json'], { env, timeoutMs });
  let report: DoctorJson;
  try {
    report = JSON.parse(run.stdout) as DoctorJson;
  } catch {
    throw new Error(`lab doctor --json printed no JSON (exit ${run.exitCode}):\n${run.all}`);
  }
  return {
    run,
    report,
    check(id) {
      const found = report.checks.find((c) => c.id === id);
      if (!found) throw new Error(`no check "${id}" in: ${report.checks.map((c) => c.id).join(', ')}`);
      return found;
    },
  };
}

/** A compact "id status" listing for assertion messages. */
export function statuses(report: DoctorJson): string {
  return report.checks.map((c) => `${c.status.padEnd(4)} ${c.id}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`).join('\n');
}
