import * as v from 'valibot';
import type { GitLabTransport } from './client/transport.js';

// https://docs.gitlab.com/api/project_job_token_scopes/
const Allowed = v.object({ id: v.number(), path_with_namespace: v.string() });

/**
 * The inbound CI/CD job token allowlist of a project: the projects whose jobs may use their
 * job token to reach this one (fetch its repository, pull its images). GitLab enforces it
 * for every project from 18.0 on. https://docs.gitlab.com/ci/jobs/ci_job_token/
 */
export function jobTokenScopeApi(t: GitLabTransport) {
  return {
    async allowlist(project: number): Promise<{ id: number; path: string }[]> {
      const list = await t.all(`/projects/${project}/job_token_scope/allowlist`, Allowed);
      return list.map((p) => ({ id: p.id, path: p.path_with_namespace }));
    },
    /** Lets jobs of `source` reach `project`; `present` when they already may. */
    async allow(project: number, source: number): Promise<'added' | 'present'> {
      const path = `/projects/${project}/job_token_scope/allowlist`;
      const res = await t.call('POST', path, { body: { target_project_id: source } });
      if (res.status === 201) return 'added';
      // GitLab answers 400 "Target project is already in the job token scope" (lib/api/ci/job_token_scope.rb, bad_request!).
      if ((res.status === 400 || res.status === 422) && /already/i.test(res.body)) return 'present';
      throw t.unexpected('POST', path, res);
    },
    async disallow(project: number, source: number): Promise<boolean> {
      const path = `/projects/${project}/job_token_scope/allowlist/${source}`;
      const res = await t.call('DELETE', path);
      if (res.status === 404) return false;
      // "Target project is not in the job token scope": already gone.
      if (res.status === 400 && /not in the job token scope/i.test(res.body)) return false;
      if (res.status !== 204) throw t.unexpected('DELETE', path, res);
      return true;
    },
  };
}

export type JobTokenScopeApi = ReturnType<typeof jobTokenScopeApi>;
