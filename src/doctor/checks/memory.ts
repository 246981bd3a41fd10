import type { LabModel } from '../../config/model.js';
import type { EngineKind } from '../engine-facts.js';
import type { CheckOutcome, DoctorCheck } from '../types.js';
import { ENGINE_CHECK } from './engine.js';

const GB = 1e9;

/**
 * What each profile needs, and where the numbers come from:
 * - standard: https://docs.gitlab.com/install/requirements/ gives 16 GB as the baseline of
 *   a single node and 8 GB as the lower bound for a memory-constrained one; a personal
 *   lab is the latter, so 8 GB.
 * - small: https://docs.gitlab.com/omnibus/settings/memory_constrained_envs/ puts GitLab
 *   alone, with the tuning lab applies for `small`, at 2 GB of RAM plus 1 GB of swap (2.5 GB
 *   being better); with Traefik, the runner and a job or two beside it, 4 GB.
 * Below that page's 2 GB minimum GitLab does not start reliably at all.
 */
export const MEMORY_NEEDS: Record<LabModel['gitlab']['profile'], number> = { small: 4 * GB, standard: 8 * GB };
export const MEMORY_FLOOR = 2 * GB;
const SOURCES = 'docs.gitlab.com/install/requirements and docs.gitlab.com/omnibus/settings/memory_constrained_envs';

/**
 * A nominal "4 GB" machine reports less than 4e9 bytes once the kernel and firmware have
 * taken their share, so the comparison allows 10 % below the nominal need.
 */
const TOLERANCE = 0.9;

const gb = (bytes: number) => `${(bytes / GB).toFixed(1)} GB`;

function raiseMemory(kind: EngineKind): string {
  if (kind === 'Docker Desktop') return 'give Docker Desktop more memory (Settings → Resources → Memory)';
  if (kind === 'Podman') return 'give the Podman machine more memory (`podman machine set --memory <MiB>`, with the machine stopped)';
  return 'run the lab on a machine with more memory';
}

/** The verdict for `memTotal` bytes under `profile`; pure, so the thresholds are easy to see. */
export function memoryVerdict(
  memTotal: number,
  profile: LabModel['gitlab']['profile'],
  kind: EngineKind,
  lab: (args: string) => string,
): CheckOutcome {
  const need = MEMORY_NEEDS[profile];
  const have = `the engine has ${gb(memTotal)}; the "${profile}" profile needs about ${gb(need)} (${SOURCES})`;
  if (memTotal < MEMORY_FLOOR * TOLERANCE) {
    return {
      status: 'fail',
      detail: `${have}, and GitLab needs at least ${gb(MEMORY_FLOOR)} even when tuned`,
      fix: `${raiseMemory(kind)}.`,
    };
  }
  if (memTotal < need * TOLERANCE) {
    const smaller = profile === 'standard' ? ` or set \`gitlab: { profile: small }\` in lab.yml and run \`${lab('up')}\`` : '';
    return {
      status: 'warn',
      detail: `${have}: GitLab will be slow or be killed when memory runs out`,
      fix: `${raiseMemory(kind)}${smaller}.`,
    };
  }
  return { status: 'ok', detail: have };
}

export const memoryCheck: DoctorCheck = {
  id: 'memory',
  title: 'memory for GitLab',
  needs: [ENGINE_CHECK],
  async run(ctx) {
    const facts = await ctx.engine();
    if (facts.memTotal === undefined) {
      return {
        status: 'warn',
        detail: 'the engine does not report its memory (MemTotal in /info)',
        fix: `Make sure the engine has about ${gb(MEMORY_NEEDS[ctx.model.gitlab.profile])} for the "${ctx.model.gitlab.profile}" profile (${SOURCES}).`,
      };
    }
    return memoryVerdict(facts.memTotal, ctx.model.gitlab.profile, facts.kind, ctx.lab);
  },
};
