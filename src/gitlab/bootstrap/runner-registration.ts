import type { LabModel } from '../../config/model.js';
import { fail } from '../../util/errors.js';
import { writeJsonSecret } from '../../util/secret-files.js';
import { registerSecret } from '../../util/secrets.js';
import { abortError } from '../../util/time.js';
import { type WaitStrategy, waitFor } from '../../util/wait.js';
import type { RunnersApi } from '../runners.js';
import { readRunnerRecord } from './runner-record.js';
import { killPoint } from './steps.js';

/**
 * The lab's one instance runner, created through the new runner-creation workflow
 * (https://docs.gitlab.com/ci/runners/new_creation_workflow/): `POST /user/runners` returns
 * the id and the `glrt-` authentication token, which lab stores at once.
 *
 * Every runner lab creates carries the description `lab:<stack name>`. A crash between
 * creating a runner and storing it leaves a runner with that marker whose id is not the
 * stored one: an orphan, which every run deletes before anything else.
 *
 * lab never speaks for the runner: it does not call `POST /runners/verify`, which records a
 * contact (and, without a system_id, a runner manager) on the runner's behalf
 * (lib/api/ci/runner.rb). Whether the token works is proven by the runner's own contact.
 */
export function runnerMarker(model: Pick<LabModel, 'name'>): string {
  return `lab:${model.name}`;
}

export interface RunnerContext {
  model: LabModel;
  /** `.lab/secrets/runner.json`. */
  file: string;
  runners: RunnersApi;
  report(text: string): void;
}

export interface EnsuredRunner {
  id: number;
  token: string;
  /** reused: the stored runner exists; created: the first one; replaced: the stored one was gone or rejected. */
  action: 'reused' | 'created' | 'replaced';
  /** Orphans (marker, not the stored id) deleted on the way. */
  removedOrphans: number[];
  /** The stale stored runner deleted after its replacement was stored. */
  removedStale: number | undefined;
  reason?: string;
}

/** Deletes this lab's runners except `keep`; returns the deleted ids. */
async function removeMarked(runners: RunnersApi, marker: string, keep: number | undefined): Promise<number[]> {
  const removed: number[] = [];
  for (const r of await runners.instance()) {
    if (r.description !== marker || r.id === keep) continue;
    if (await runners.delete(r.id)) removed.push(r.id);
  }
  return removed;
}

async function create(ctx: RunnerContext, marker: string): Promise<{ id: number; token: string }> {
  const created = await ctx.runners.createInstance({
    description: marker,
    tagList: ctx.model.runner.tags,
    runUntagged: ctx.model.runner.runUntagged,
  });
  registerSecret(created.token);
  killPoint('runner:created');
  await writeJsonSecret(ctx.file, { id: created.id, token: created.token, description: marker, createdAt: new Date().toISOString() });
  killPoint('runner:stored');
  return created;
}

/**
 * Exactly one runner of this lab in GitLab and in runner.json. `rejected` names a stored
 * runner whose token GitLab refused (seen in the runner's log): it is replaced.
 */
export async function ensureRunner(ctx: RunnerContext, rejected?: number): Promise<EnsuredRunner> {
  const { runners } = ctx;
  const marker = runnerMarker(ctx.model);
  const stored = await readRunnerRecord(ctx.file);

  const removedOrphans = await removeMarked(runners, marker, stored?.id);
  if (removedOrphans.length > 0) {
    const ids = removedOrphans.map((id) => `#${id}`).join(', ');
    ctx.report(`runner: deleted ${removedOrphans.length} orphaned runner${removedOrphans.length === 1 ? '' : 's'} (${ids})`);
  }

  let stale: number | undefined;
  let reason: string | undefined;
  if (stored) {
    // https://docs.gitlab.com/api/runners/#get-runners-details
    const existing = await runners.get(stored.id);
    if (!existing) reason = `runner #${stored.id} no longer exists in GitLab`;
    else if (rejected !== stored.id)
      return { id: stored.id, token: stored.token, action: 'reused', removedOrphans, removedStale: undefined };
    else {
      reason = `GitLab rejects the token of runner #${stored.id}`;
      // Only a runner that carries this lab's marker is lab's to delete: after a GitLab
      // reset the same id may belong to somebody else's runner.
      if (existing.description === marker) stale = stored.id;
    }
  }

  const created = await create(ctx, marker);
  let removedStale: number | undefined;
  if (stale !== undefined && (await runners.delete(stale))) removedStale = stale;
  return {
    id: created.id,
    token: created.token,
    action: stored ? 'replaced' : 'created',
    removedOrphans,
    removedStale,
    ...(reason ? { reason } : {}),
  };
}

/**
 * How recent a contact must be, by GitLab's clock, for a runner lab did not touch in this
 * run: gitlab-runner polls every `check_interval` (3 s), but Workhorse holds a poll for up to
 * its long-polling duration (`apiCiLongPollingDuration`, up to a minute) before Rails sees it.
 * https://docs.gitlab.com/ci/runners/long_polling/
 */
export const CONTACT_WINDOW_MS = 75_000;

/** The runner's last contact as GitLab reports it, read before lab acts on the runner. */
export async function lastContact(runners: RunnersApi, id: number): Promise<string | null> {
  return (await runners.contact(id))?.contactedAt ?? null;
}

/** Why waiting for the runner is pointless, from its container and log (undefined: keep waiting). */
export type ContactProbe = () => Promise<{ rejected: boolean; reason: string } | undefined>;

export interface WaitContactOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /**
   * `since`: the runner's last contact before lab acted on it; only a newer one counts.
   * `recent`: lab left a running runner alone, so a contact within CONTACT_WINDOW_MS counts.
   */
  since: string | null;
  runnerKept: boolean;
  /** Checked every few polls: the container exited, or its log shows GitLab refusing it. */
  probe: ContactProbe;
  onWait?(elapsedMs: number, detail: string): void;
}

export type ContactOutcome = { kind: 'contact'; elapsedMs: number } | { kind: 'rejected'; reason: string };

/** Whether a contact proves the runner reaches GitLab now. Pure. */
export function provesContact(
  contactedAt: string | null,
  serverNow: number,
  options: Pick<WaitContactOptions, 'since' | 'runnerKept'>,
): boolean {
  if (contactedAt === null) return false;
  const at = Date.parse(contactedAt);
  if (options.since === null || at > Date.parse(options.since)) return true;
  return options.runnerKept && serverNow - at <= CONTACT_WINDOW_MS;
}

/**
 * Waits for a contact from the runner itself: GitLab's "online" means any contact in the
 * last two hours, which a runner that can no longer reach GitLab keeps showing after a
 * re-run. The poll starts at 100 ms and grows to 500 ms.
 */
export async function waitForContact(runners: RunnersApi, id: number, options: WaitContactOptions): Promise<ContactOutcome> {
  let rejected: { reason: string } | undefined;
  const contact: WaitStrategy = {
    description: `a contact from runner #${id}`,
    async check() {
      const c = await runners.contact(id);
      if (!c)
        throw fail(
          `runner #${id} disappeared from GitLab while lab waited for it`,
          'Something deleted it; run `lab up` again to register a new one.',
        );
      if (provesContact(c.contactedAt, c.serverNow, options)) return { ready: true };
      return { ready: false, detail: c.contactedAt === null ? 'never contacted' : `last contact ${c.contactedAt}` };
    },
  };
  const outcome = await waitFor(contact, {
    timeoutMs: options.timeoutMs,
    intervalMs: 100,
    maxIntervalMs: 500,
    signal: options.signal,
    onTick: (ms, detail) => options.onWait?.(ms, detail ?? 'waiting'),
    gaveUp: async () => {
      const found = await options.probe();
      if (found?.rejected) rejected = found;
      return found?.reason;
    },
  });
  if (outcome.ready) return { kind: 'contact', elapsedMs: outcome.elapsedMs };
  if (outcome.reason === 'aborted') throw abortError();
  if (rejected) return { kind: 'rejected', reason: rejected.reason };
  const why =
    outcome.reason === 'gave-up' ? (outcome.detail ?? 'it stopped') : `it made no contact within ${Math.round(options.timeoutMs / 1000)}s`;
  throw fail(
    `runner #${id} has not reached GitLab: ${why}`,
    'The runner cannot reach GitLab: its log below shows why (TLS, name resolution, network or token); fix it and run `lab up` again.',
  );
}

/** Teardown: every runner carrying this lab's marker. */
export function deleteLabRunners(runners: RunnersApi, model: LabModel): Promise<number[]> {
  return removeMarked(runners, runnerMarker(model), undefined);
}
