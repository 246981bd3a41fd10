import type { GitLabClient } from '../gitlab/client/index.js';
import type { DesiredSeed } from '../seed/desired.js';
import type { Observed } from '../seed/plan.js';

/**
 * What GitLab has under the names the workshop wants: users, groups, projects and instance
 * variables, looked up all at once (the client limits how many calls run together). A
 * project whose group is absent cannot exist, so it is not asked about.
 */
export async function lookUp(gitlab: GitLabClient, desired: DesiredSeed, report: (text: string) => void): Promise<Observed> {
  const observed: Observed = { users: new Map(), groups: new Map(), projects: new Map(), instanceVariables: new Map() };
  let done = 0;
  let total = 0;
  const track = async <T>(work: Promise<T>): Promise<T> => {
    total++;
    const value = await work;
    done++;
    report(`${done}/${total} looked up`);
    return value;
  };

  const variables = desired.instanceVariables.map((v) =>
    track(gitlab.variables.get({ kind: 'instance' }, v.key)).then((found) => observed.instanceVariables.set(v.key, found ? 0 : undefined)),
  );
  const users = desired.copies.flatMap((c) =>
    c.user ? [track(gitlab.users.byUsername(c.user.username)).then((u) => observed.users.set(c.user?.username ?? '', u?.id))] : [],
  );
  const groupPaths = [...new Set(desired.copies.flatMap((c) => c.groups.map((g) => g.path)))];
  const groups = groupPaths.map(async (path) => {
    const group = await track(gitlab.groups.get(path));
    observed.groups.set(path, group?.full_path === path ? group.id : undefined);
    if (!group) return;
    const projects = desired.copies.flatMap((c) => c.projects).filter((p) => p.path.startsWith(`${path}/`));
    await Promise.all(
      projects.map(async (p) => {
        const project = await track(gitlab.projects.get(p.path));
        observed.projects.set(p.path, project?.path_with_namespace === p.path ? project.id : undefined);
      }),
    );
  });
  await Promise.all([...variables, ...users, ...groups]);
  return observed;
}
