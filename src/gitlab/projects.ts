import * as v from 'valibot';
import type { GitLabTransport } from './client/transport.js';

// https://docs.gitlab.com/api/projects/
const Project = v.object({
  id: v.number(),
  name: v.string(),
  path: v.string(),
  path_with_namespace: v.string(),
  default_branch: v.nullish(v.string()),
  web_url: v.string(),
  http_url_to_repo: v.string(),
  description: v.optional(v.nullable(v.string())),
  /** Set while the project waits for its delayed deletion (GitLab 18+ delays every deletion). */
  marked_for_deletion_on: v.optional(v.nullable(v.string())),
});
export type Project = v.InferOutput<typeof Project>;

// https://docs.gitlab.com/api/commits/#create-a-commit-with-multiple-files-and-actions
const Commit = v.object({ id: v.string(), short_id: v.string() });
export type Commit = v.InferOutput<typeof Commit>;

// https://docs.gitlab.com/api/branches/#get-single-repository-branch
const Branch = v.object({ name: v.string(), commit: v.object({ id: v.string() }) });
const Tag = v.object({ name: v.string(), commit: v.object({ id: v.string() }) });

export interface NewProject {
  name: string;
  path: string;
  namespaceId: number;
  description?: string;
  visibility?: 'private' | 'internal' | 'public';
}

export type CommitAction =
  | { action: 'create' | 'update'; file_path: string; content: string; encoding?: 'text' | 'base64' }
  | { action: 'delete'; file_path: string };

export function projectsApi(t: GitLabTransport) {
  const id = (project: number | string) => encodeURIComponent(String(project));
  return {
    /** By id or full path (`group/project`); undefined on 404. */
    async get(idOrPath: number | string): Promise<Project | undefined> {
      return t.find(`/projects/${id(idOrPath)}`, Project);
    },
    create(project: NewProject): Promise<Project> {
      return t.json('POST', '/projects', Project, {
        body: {
          name: project.name,
          path: project.path,
          namespace_id: project.namespaceId,
          visibility: project.visibility ?? 'private',
          default_branch: 'main',
          ...(project.description !== undefined ? { description: project.description } : {}),
        },
        ok: [201],
      });
    },
    /** Deletion may be delayed in GitLab (202); false when there was nothing to delete. */
    async delete(idOrPath: number | string): Promise<boolean> {
      return t.remove(`/projects/${id(idOrPath)}`, { ok: [202, 204] });
    },
    /**
     * Deletes a project that is marked for deletion at once, instead of after the delay
     * (https://docs.gitlab.com/api/projects/#delete-a-project: `permanently_remove` with the
     * project's current, renamed `full_path`). False when there was nothing to delete.
     */
    async permanentlyRemove(idOrPath: number | string, fullPath: string): Promise<boolean> {
      return t.remove(`/projects/${id(idOrPath)}`, { query: { permanently_remove: true, full_path: fullPath }, ok: [202, 204] });
    },
    /** One commit with several file actions on `branch` (created from `startBranch` when given). */
    commit(project: number, branch: string, message: string, actions: CommitAction[], startBranch?: string): Promise<Commit> {
      return t.json('POST', `/projects/${project}/repository/commits`, Commit, {
        body: { branch, commit_message: message, actions, ...(startBranch ? { start_branch: startBranch } : {}) },
        ok: [201],
      });
    },
    /** The head commit of a branch; undefined when the branch does not exist. */
    async branchHead(project: number, branch: string): Promise<string | undefined> {
      return (await t.find(`/projects/${project}/repository/branches/${encodeURIComponent(branch)}`, Branch))?.commit.id;
    },
    /** A raw file from a ref; undefined when it does not exist. */
    async rawFile(project: number, filePath: string, ref: string): Promise<string | undefined> {
      const path = `/projects/${project}/repository/files/${encodeURIComponent(filePath)}/raw`;
      const res = await t.call('GET', path, { query: { ref } });
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw t.unexpected('GET', path, res);
      return res.body;
    },
    createTag(project: number, name: string, ref: string): Promise<{ name: string; commit: { id: string } }> {
      return t.json('POST', `/projects/${project}/repository/tags`, Tag, { body: { tag_name: name, ref }, ok: [201] });
    },
    /** https://docs.gitlab.com/api/protected_tags/#protect-repository-tags; 409 means it is protected already. */
    async protectTag(project: number, pattern: string): Promise<'protected' | 'present'> {
      const path = `/projects/${project}/protected_tags`;
      const res = await t.call('POST', path, { body: { name: pattern, create_access_level: 40 } });
      if (res.status === 201) return 'protected';
      if (res.status === 409 || (res.status === 422 && /already/i.test(res.body))) return 'present';
      throw t.unexpected('POST', path, res);
    },
  };
}

export type ProjectsApi = ReturnType<typeof projectsApi>;
