import { ACCESS_LEVEL } from '../gitlab/groups.js';
import type { VariableScope } from '../gitlab/variables.js';
import type { TaskHandle } from '../progress/tasks.js';
import type { DesiredProject, DesiredVariable, SeedCopy } from '../seed/desired.js';
import { killPoint } from '../seed/kill-points.js';
import type { Decision } from '../seed/plan.js';
import { keyOf } from '../seed/record.js';
import { pushContent } from './seed-content.js';
import type { SeedRun } from './seed-run.js';

/** Creates, adopts or keeps one object with a name of its own; returns its id. */
async function converge(
  run: SeedRun,
  kind: 'users' | 'groups' | 'projects',
  label: string,
  key: string,
  decision: Decision | undefined,
  create: () => Promise<number>,
  extra: { template?: string } = {},
): Promise<number> {
  if (!decision) throw new Error(`no decision for ${kind} ${key}`);
  if (decision.action !== 'create') {
    const entry = run.store.get(kind, key);
    run.store.set(kind, key, { ...entry, ...extra, state: 'done', id: decision.id });
    run.report.add(decision.action === 'adopt' ? 'adopted' : 'kept', label, key);
    return decision.id;
  }
  const id = await create();
  killPoint(kind === 'users' ? 'seed:user-created' : kind === 'groups' ? 'seed:group-created' : 'seed:project-created');
  run.store.set(kind, key, { ...extra, state: 'done', id, ...(kind === 'projects' ? { files: [] } : {}) });
  run.store.flushSoon();
  run.report.add('created', label, key, decision.recreate ? 'again: the one lab made was gone' : undefined);
  return id;
}

/** The workshop, or one attendee's copy: user, groups, membership, projects, settings, content. */
export async function applyCopy(run: SeedRun, copy: SeedCopy, task: TaskHandle): Promise<string> {
  const { gitlab, plan } = run;
  let userId: number | undefined;
  if (copy.user) {
    const user = copy.user;
    task.output(`user ${user.username}`);
    userId = await converge(run, 'users', 'user', user.username, plan.users.get(user.username), async () => {
      const password = run.passwords.get(user.username);
      if (!password) throw new Error(`no password for ${user.username}`);
      return (await gitlab.users.create({ username: user.username, name: user.name, email: user.email, password })).id;
    });
    run.ids.users.set(user.username, userId);
  }

  task.output('groups');
  await Promise.all(
    copy.groups.map(async (g) => {
      const id = await converge(run, 'groups', 'group', g.path, plan.groups.get(g.path), async () => {
        const created = await gitlab.groups.create({
          name: g.name,
          path: g.path,
          visibility: g.visibility,
          ...(g.description ? { description: g.description } : {}),
        });
        return created.id;
      });
      run.ids.groups.set(g.path, id);
    }),
  );

  for (const m of copy.members) {
    const groupId = run.ids.groups.get(m.group);
    if (groupId === undefined || userId === undefined) throw new Error(`member ${m.username} of ${m.group} without ids`);
    const added = await gitlab.groups.addMember(groupId, userId, ACCESS_LEVEL.maintainer);
    run.store.set('members', keyOf.member(m.group, m.username), { state: 'done' });
    run.report.add(added === 'added' ? 'created' : 'kept', 'member', `${m.username} in ${m.group}`);
  }

  task.output('projects');
  await Promise.all(
    copy.projects.map(async (p) => {
      const group = run.ids.groups.get(p.path.slice(0, p.path.indexOf('/')));
      if (group === undefined) throw new Error(`project ${p.path} without its group`);
      const id = await converge(
        run,
        'projects',
        'project',
        p.path,
        plan.projects.get(p.path),
        async () => {
          const created = await gitlab.projects.create({
            name: p.name,
            path: p.path.slice(p.path.indexOf('/') + 1),
            namespaceId: group,
            visibility: p.visibility,
            ...(p.description ? { description: p.description } : {}),
          });
          run.created.add(p.path);
          return created.id;
        },
        { template: p.template },
      );
      run.ids.projects.set(p.path, id);
    }),
  );

  task.output('variables, protected tags, job token allowlist');
  await Promise.all(copy.projects.map((p) => projectSettings(run, p)));
  await allowlist(run, copy);
  if (copy.projects.length > 0) killPoint('seed:settings');

  const reset = run.reset.has(copy.id);
  for (const p of copy.projects) {
    task.output(`${reset ? 'reset' : 'content of'} ${p.path}`);
    await pushContent(run, p, reset);
  }
  return `${copy.projects.length} project${copy.projects.length === 1 ? '' : 's'}`;
}

async function projectSettings(run: SeedRun, p: DesiredProject): Promise<void> {
  const id = run.ids.projects.get(p.path);
  if (id === undefined) throw new Error(`project ${p.path} without an id`);
  await Promise.all([
    ...p.variables.map(async (v) => {
      const changed = await ensureVariable(run, { kind: 'project', id }, v, 'project variable', `${p.path} ${v.key}`);
      run.store.set('projectVariables', keyOf.projectVariable(p.path, v.key), { state: 'done' });
      if (changed) run.affected.add(p.path);
    }),
    ...p.protectedTags.map(async (pattern) => {
      const result = await run.gitlab.projects.protectTag(id, pattern);
      run.store.set('protectedTags', keyOf.protectedTag(p.path, pattern), { state: 'done' });
      run.report.add(result === 'protected' ? 'created' : 'kept', 'protected tag', `${p.path} ${pattern}`);
    }),
  ]);
}

/**
 * Creates or updates a variable to the workshop's value; true when it changed. Variables in
 * lab's own projects, and instance variables lab created, follow the workshop.
 */
export async function ensureVariable(run: SeedRun, scope: VariableScope, v: DesiredVariable, kind: string, name: string): Promise<boolean> {
  const spec = { key: v.key, value: v.value, type: v.type, protected: v.protected, masked: v.masked, raw: true };
  const current = await run.gitlab.variables.get(scope, v.key);
  if (!current) {
    await run.gitlab.variables.create(scope, spec);
    run.report.add('created', kind, name);
    return true;
  }
  const same =
    current.value === v.value && current.variable_type === v.type && current.protected === v.protected && current.masked === v.masked;
  if (same) {
    run.report.add('kept', kind, name);
    return false;
  }
  await run.gitlab.variables.update(scope, spec);
  run.report.add('updated', kind, name);
  return true;
}

/**
 * The copy's job token allowlist entries: added where the workshop wants them, and, for
 * `--lesson job-token`, the ones lab added before taken away again.
 */
async function allowlist(run: SeedRun, copy: SeedCopy): Promise<void> {
  const idOf = (path: string) => {
    const id = run.ids.projects.get(path);
    if (id === undefined) throw new Error(`allowlist entry for unknown project ${path}`);
    return id;
  };
  await Promise.all(
    copy.allow.map(async (a) => {
      const result = await run.gitlab.jobTokenScope.allow(idOf(a.target), idOf(a.source));
      run.store.set('allowlist', keyOf.allow(a.target, a.source), { state: 'done' });
      run.report.add(result === 'added' ? 'created' : 'kept', 'allowlist entry', `${a.target} allows ${a.source}`);
      if (result === 'added') run.affected.add(a.source);
    }),
  );
  if (run.lesson !== 'job-token') return;
  const paths = new Set(copy.projects.map((p) => p.path));
  for (const key of Object.keys(run.store.record.allowlist)) {
    const [target = '', source = ''] = key.split('<');
    if (!paths.has(target) || !paths.has(source)) continue;
    await run.gitlab.jobTokenScope.disallow(idOf(target), idOf(source));
    run.store.delete('allowlist', key);
    run.report.add('removed', 'allowlist entry', `${target} allows ${source}`, 'for the job-token lesson');
    run.affected.add(source);
  }
}
