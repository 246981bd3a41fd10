import type { LabModel } from '../config/model.js';
import { abortError, type WaitStrategy, waitFor } from '../engine/wait.js';
import { fail } from '../util/errors.js';
import { registerSecret } from '../util/secrets.js';
import type { GitLabApi } from './api.js';
import { type RunnerFile, readRunnerFile } from './runner-file.js';
import { type SecretFiles, writeJsonSecret } from './secrets.js';
import { killPoint } from './steps.js';

/**
 * The lab's one instance runner, created through the new runner-creation workflow
 * (https://docs.gitlab.com/ci/runners/new_creation_workflow/): `POST /user/runners` returns
 * the id and the `glrt-` authentication token, which lab stores at once.
 *
 * Every runner lab creates carries the description `lab:<stack name>`. A crash between
 * creating a runner and storing it leaves a runner with that marker whose id is not the
 * stored one: an orphan, which every run deletes before anything else.
 */
export function runnerMarker(model: LabModel): string {
  return `lab:${model.name}`;
}

export interface RunnerContext {
  model: LabModel;
  files: SecretFiles;
  api: GitLabApi;
  report(text: string): void;
}

export interface EnsuredRunner {
  id: number;
  token: string;
  /** reused: the stored runner is fine; created: the first one; replaced: the stored one was gone or its token rejected. */
  action: 'reused' | 'created' | 'replaced';
  /** Orphans (marker, not the stored id) deleted on the way. */
  removedOrphans: number[];
  /** The stale stored runner deleted after its replacement was stored. */
  removedStale: number | undefined;
  reason?: string;
}

/** Deletes this lab's runners except `keep`; returns the deleted ids. */
async function removeMarked(api: GitLabApi, marker: string, keep: number | undefined): Promise<number[]> {
  const removed: number[] = [];
  for (const r of await api.instanceRunners()) {
    if (r.description !== marker || r.id === keep) continue;
    if (await api.deleteRunner(r.id)) removed.push(r.id);
  }
  return removed;
}

export async function ensureRunner(ctx: RunnerContext): Promise<EnsuredRunner> {
  const { api } = ctx;
  const marker = runnerMarker(ctx.model);
  const stored = await readRunnerFile(ctx.files);

  const removedOrphans = await removeMarked(api, marker, stored?.id);
  if (removedOrphans.length > 0)
    ctx.report(
      `runner: deleted ${removedOrphans.length} orphaned runner${removedOrphans.length === 1 ? '' : 's'} (${removedOrphans.map((id) => `#${id}`).join(', ')})`,
    );

  let stale: number | undefined;
  let reason: string | undefined;
  if (stored) {
    // https://docs.gitlab.com/api/runners/#get-runners-details
    const existing = await api.runner(stored.id);
    if (!existing) reason = `runner #${stored.id} no longer exists in GitLab`;
    else {
      // https://docs.gitlab.com/api/runners/#verify-authentication-for-a-registered-runner
      const owner = await api.verifyRunner(stored.token);
      if (owner === stored.id) return { id: stored.id, token: stored.token, action: 'reused', removedOrphans, removedStale: undefined };
      reason = `GitLab rejects the token of runner #${stored.id}`;
      // Only a runner that carries this lab's marker is lab's to delete: after a GitLab
      // reset the same id may belong to somebody else's runner.
      if (existing.description === marker) stale = stored.id;
    }
  }

  const created = await api.createInstanceRunner({
    description: marker,
    tagList: ctx.model.runner.tags,
    runUntagged: ctx.model.runner.runUntagged,
  });
  registerSecret(created.token);
  killPoint('runner:created');
  await writeJsonSecret(ctx.files.runner, {
    id: created.id,
    token: created.token,
    description: marker,
    createdAt: new Date().toISOString(),
  });
  killPoint('runner:stored');

  let removedStale: number | undefined;
  if (stale !== undefined && (await api.deleteRunner(stale))) removedStale = stale;
  return {
    id: created.id,
    token: created.token,
    action: stored ? 'replaced' : 'created',
    removedOrphans,
    removedStale,
    ...(reason ? { reason } : {}),
  };
}

export interface WaitOnlineOptions {
  timeoutMs: number;
  signal: AbortSignal;
  onWait?(elapsedMs: number, status: string): void;
}

/**
 * Polls `GET /runners/:id` until GitLab reports `status: "online"` (the runner has polled
 * for jobs). The pause starts at 100 ms and grows to 500 ms, so "online" is noticed at once
 * early on and within half a second later.
 */
export async function waitOnline(api: GitLabApi, id: number, options: WaitOnlineOptions): Promise<number> {
  const online: WaitStrategy = {
    description: `runner #${id} online`,
    async check() {
      const r = await api.runner(id);
      if (!r)
        throw fail(
          `runner #${id} disappeared from GitLab while lab waited for it`,
          'Something deleted it; run `lab up` again to register a new one.',
        );
      return r.status === 'online' ? { ready: true } : { ready: false, detail: r.status };
    },
  };
  const outcome = await waitFor(online, {
    timeoutMs: options.timeoutMs,
    intervalMs: 100,
    maxIntervalMs: 500,
    signal: options.signal,
    onTick: (ms, status) => options.onWait?.(ms, status ?? 'unknown'),
  });
  if (outcome.ready) return outcome.elapsedMs;
  if (outcome.reason === 'aborted') throw abortError();
  throw fail(
    `runner #${id} did not come online within ${Math.round(options.timeoutMs / 1000)}s (GitLab reports "${outcome.detail ?? 'unknown'}")`,
    'The runner has not reached GitLab: check its log below for TLS, name resolution or token errors, raise --timeout, or run `lab up` again.',
  );
}

/** Teardown: every runner carrying this lab's marker, and the stored one if its token proves it is lab's. */
export async function deleteLabRunners(api: GitLabApi, model: LabModel, stored: RunnerFile | undefined): Promise<number[]> {
  const deleted = await removeMarked(api, runnerMarker(model), undefined);
  if (stored && !deleted.includes(stored.id) && (await api.verifyRunner(stored.token)) === stored.id) {
    if (await api.deleteRunner(stored.id)) deleted.push(stored.id);
  }
  return deleted;
}
