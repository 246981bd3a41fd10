import * as v from 'valibot';
import type { GitLabTransport } from './client/transport.js';

// https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user
const CreatedRunner = v.object({ id: v.number(), token: v.pipe(v.string(), v.startsWith('glrt-')) });
export type CreatedRunner = v.InferOutput<typeof CreatedRunner>;

// https://docs.gitlab.com/api/runners/#list-all-runners and #get-runners-details
const RunnerSummary = v.object({
  id: v.number(),
  description: v.nullable(v.string()),
  runner_type: v.string(),
  status: v.string(),
  contacted_at: v.optional(v.nullable(v.string())),
});
export type RunnerSummary = v.InferOutput<typeof RunnerSummary>;

// https://docs.gitlab.com/api/runners/#list-runners-managers
const RunnerManager = v.object({
  id: v.number(),
  system_id: v.string(),
  contacted_at: v.nullable(v.string()),
  status: v.string(),
});
export type RunnerManager = v.InferOutput<typeof RunnerManager>;

export interface RunnerSpec {
  description: string;
  tagList: string[];
  runUntagged: boolean;
}

export function runnersApi(t: GitLabTransport) {
  return {
    async createInstance(spec: RunnerSpec): Promise<CreatedRunner> {
      // Not retried unless GitLab says it did not process it: a lost answer could mean a
      // runner was created anyway, which the next run's orphan sweep removes by its marker.
      return t.json('POST', '/user/runners', CreatedRunner, {
        body: { runner_type: 'instance_type', description: spec.description, tag_list: spec.tagList, run_untagged: spec.runUntagged },
        ok: [201],
      });
    },
    /** Undefined when the runner does not exist (404). */
    async get(id: number): Promise<RunnerSummary | undefined> {
      return t.find(`/runners/${id}`, RunnerSummary);
    },
    /**
     * The runner's last contact and GitLab's own clock at the time of asking (its `Date`
     * header): comparing the two never mixes clocks. Undefined when the runner does not exist.
     */
    async contact(id: number): Promise<{ contactedAt: string | null; serverNow: number } | undefined> {
      const path = `/runners/${id}`;
      const res = await t.call('GET', path);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw t.unexpected('GET', path, res);
      const date = Date.parse(String(res.headers.date ?? ''));
      return {
        contactedAt: t.parse(RunnerSummary, res, 'GET', path).contacted_at ?? null,
        serverNow: Number.isNaN(date) ? Date.now() : date,
      };
    },
    /** The runner's managers: one per runner process (system_id) that has contacted GitLab. */
    managers(id: number): Promise<RunnerManager[]> {
      return t.all(`/runners/${id}/managers`, RunnerManager);
    },
    /** False when there was nothing to delete (404). */
    async delete(id: number): Promise<boolean> {
      return t.remove(`/runners/${id}`);
    },
    /** Every instance runner, all pages. */
    instance(): Promise<RunnerSummary[]> {
      return t.all('/runners/all', RunnerSummary, { type: 'instance_type' });
    },
  };
}

export type RunnersApi = ReturnType<typeof runnersApi>;
