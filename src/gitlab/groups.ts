import * as v from 'valibot';
import type { GitLabTransport } from './client/transport.js';

// https://docs.gitlab.com/api/groups/
const Group = v.object({
  id: v.number(),
  name: v.string(),
  path: v.string(),
  full_path: v.string(),
  description: v.optional(v.nullable(v.string())),
});
export type Group = v.InferOutput<typeof Group>;

/** https://docs.gitlab.com/user/permissions/#roles: the access levels of the members API. */
export const ACCESS_LEVEL = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;

// GroupDetail lists the group's own projects (https://docs.gitlab.com/api/groups/#get-a-single-group).
const GroupDetail = v.object({ projects: v.optional(v.array(v.object({ path_with_namespace: v.string() })), []) });

export interface NewGroup {
  name: string;
  path: string;
  description?: string;
  visibility?: 'private' | 'internal' | 'public';
  parentId?: number;
}

export function groupsApi(t: GitLabTransport) {
  return {
    /** By id or full path; undefined on 404. */
    async get(idOrPath: number | string): Promise<Group | undefined> {
      return t.find(`/groups/${encodeURIComponent(String(idOrPath))}`, Group);
    },
    /** Every group the token can see, subgroups included (https://docs.gitlab.com/api/groups/#list-groups). */
    all(): Promise<Group[]> {
      return t.all('/groups', Group, { all_available: true });
    },
    /** The full paths of the group's own projects; undefined when the group does not exist. */
    async projectPaths(id: number): Promise<string[] | undefined> {
      return (await t.find(`/groups/${id}`, GroupDetail))?.projects.map((p) => p.path_with_namespace);
    },
    create(group: NewGroup): Promise<Group> {
      return t.json('POST', '/groups', Group, {
        body: {
          name: group.name,
          path: group.path,
          ...(group.description !== undefined ? { description: group.description } : {}),
          visibility: group.visibility ?? 'private',
          ...(group.parentId !== undefined ? { parent_id: group.parentId } : {}),
        },
        ok: [201],
      });
    },
    /** Deletion is asynchronous in GitLab (202); false when there was nothing to delete. */
    async delete(id: number): Promise<boolean> {
      return t.remove(`/groups/${id}`, { ok: [202, 204] });
    },
    /** https://docs.gitlab.com/api/members/#add-a-member-to-a-group-or-project; a 409 means already a member. */
    async addMember(groupId: number, userId: number, accessLevel: number): Promise<'added' | 'present'> {
      const path = `/groups/${groupId}/members`;
      const res = await t.call('POST', path, { body: { user_id: userId, access_level: accessLevel } });
      if (res.status === 201) return 'added';
      if (res.status === 409) return 'present';
      throw t.unexpected('POST', path, res);
    },
  };
}

export type GroupsApi = ReturnType<typeof groupsApi>;
