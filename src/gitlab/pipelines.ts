import * as v from 'valibot';
import type { GitLabTransport } from './client/transport.js';

// https://docs.gitlab.com/api/pipelines/
const Pipeline = v.object({ id: v.number(), status: v.string(), ref: v.string(), sha: v.string(), web_url: v.string() });
export type Pipeline = v.InferOutput<typeof Pipeline>;

// https://docs.gitlab.com/api/jobs/
const Job = v.object({ id: v.number(), name: v.string(), stage: v.string(), status: v.string() });
export type Job = v.InferOutput<typeof Job>;

/** Statuses after which a pipeline does not change by itself. */
export const FINISHED = new Set(['success', 'failed', 'canceled', 'skipped']);

export function pipelinesApi(t: GitLabTransport) {
  return {
    /** Newest first. */
    list(project: number, filter: { ref?: string; sha?: string } = {}): Promise<Pipeline[]> {
      return t.all(`/projects/${project}/pipelines`, Pipeline, { ...filter, order_by: 'id', sort: 'desc' });
    },
    get(project: number, id: number): Promise<Pipeline> {
      return t.json('GET', `/projects/${project}/pipelines/${id}`, Pipeline, { ok: [200] });
    },
    /** Runs a new pipeline for a ref. */
    create(project: number, ref: string): Promise<Pipeline> {
      return t.json('POST', `/projects/${project}/pipeline`, Pipeline, { query: { ref }, ok: [201] });
    },
    jobs(project: number, pipeline: number): Promise<Job[]> {
      return t.all(`/projects/${project}/pipelines/${pipeline}/jobs`, Job);
    },
    async trace(project: number, job: number): Promise<string> {
      const path = `/projects/${project}/jobs/${job}/trace`;
      const res = await t.call('GET', path);
      if (res.status !== 200) throw t.unexpected('GET', path, res);
      return res.body;
    },
  };
}

export type PipelinesApi = ReturnType<typeof pipelinesApi>;
