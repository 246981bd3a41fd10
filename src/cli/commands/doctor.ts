import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface DoctorOptions {
  json?: boolean;
}

/** Grace period for stray work (a DNS lookup or a child process a timed-out check left behind). */
const EXIT_GRACE_MS = 1500;

export default async function doctor(options: DoctorOptions, ctx: CliContext): Promise<number> {
  const { model } = await loadLabFor(ctx);
  const [{ runDoctor }, { formatReport }] = await Promise.all([import('../../doctor/index.js'), import('../doctor-format.js')]);
  const report = await runDoctor(model, { dir: ctx.dir, env: ctx.env });
  if (options.json) {
    // `ms` is for humans debugging a slow check; the JSON keeps the documented keys only.
    ctx.out.json({
      checks: report.checks.map(({ id, title, status, detail, fix }) => ({ id, title, status, detail, fix })),
      summary: report.summary,
    });
  } else {
    for (const line of formatReport(report, ctx.out.style)) ctx.out.result(line);
  }
  const code = report.summary.exitCode;
  // Each check has its deadline, but a check that timed out may still hold a socket or a
  // child process open; doctor must not hang on it. The timer is unref'd: it only fires
  // when something else keeps the process alive after the answer is out.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  return code;
}
