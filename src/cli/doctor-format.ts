import type { DoctorReport, DoctorStatus } from '../doctor/types.js';
import type { Styles } from './output.js';

function paint(status: DoctorStatus, style: Styles): string {
  const word = status.padEnd(4);
  if (status === 'ok') return style.green(word);
  if (status === 'warn') return style.yellow(word);
  if (status === 'fail') return style.red(word);
  return style.dim(word);
}

/** One line per check (`status id detail`), a `fix:` line under anything not ok, then a summary. */
export function formatReport(report: DoctorReport, style: Styles): string[] {
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const lines: string[] = [];
  for (const check of report.checks) {
    lines.push(`${paint(check.status, style)}  ${check.id.padEnd(width)}  ${check.detail}`);
    if (check.fix) lines.push(`${' '.repeat(width + 8)}${style.yellow('fix:')} ${check.fix}`);
  }
  const { ok, warn, fail, skip } = report.summary;
  const parts = [`${ok} ok`, `${warn} warn`, `${fail} fail`, ...(skip > 0 ? [`${skip} skipped`] : [])];
  lines.push('', `${report.checks.length} checks: ${parts.join(', ')}`);
  return lines;
}
