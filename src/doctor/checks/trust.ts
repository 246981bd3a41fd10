import { checkTrust, worstStatus } from '../../host/trust/check.js';
import type { TrustStore } from '../../host/trust/record.js';
import { duration } from '../run-checks.js';
import type { DoctorCheck, DoctorContext } from '../types.js';

/** Fixes from the trust module say `lab trust …`; doctor's say it with the user's --dir. */
function withDir(fix: string, ctx: DoctorContext): string {
  return fix.replace(/`lab (?=[a-z-])/g, `\`${ctx.lab('')}`);
}

/**
 * The lab CA as trusted by one store, proven the way `lab trust --check` proves it (a TLS
 * handshake with the running lab, or an offline verification when it is down).
 * A lab works without host trust (browsers warn, docker refuses the registry), so a
 * missing or broken trust is a warning here, never a failure: it is opt-in by design.
 */
function trustCheck(store: TrustStore, title: string): DoctorCheck {
  return {
    id: `trust.${store}`,
    title,
    // curl's own connect timeout is 5 s; a down lab then needs one offline verification.
    timeoutMs: 10_000,
    onTimeout: (ms, ctx) => ({
      status: 'warn',
      detail: `the trust check did not finish within ${duration(ms)}`,
      fix: `Run \`${ctx.lab(`trust --check --${store}`)}\` to see where it hangs.`,
    }),
    async run(ctx) {
      const results = await checkTrust({ model: ctx.model, env: ctx.env, stores: [store] });
      if (results.length === 0) return { status: 'ok', detail: `nothing to check for ${store} on this machine` };
      const worst = worstStatus(results);
      const detail = results.map((r) => `${r.location}: ${r.detail}`).join('; ');
      const fix = results.find((r) => r.status !== 'ok' && r.fix)?.fix;
      if (worst === 'ok') return { status: 'ok', detail };
      return { status: 'warn', detail, fix: withDir(fix ?? `Run \`lab trust --${store}\`.`, ctx) };
    },
  };
}

export const trustChecks: DoctorCheck[] = [
  trustCheck('system', 'CA trusted by the system store'),
  trustCheck('docker', 'CA trusted by the Docker daemon'),
];
