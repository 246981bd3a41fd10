import { rm } from 'node:fs/promises';
import { GitLabApiError, type GitLabClient } from '../gitlab/client/index.js';
import type { TaskDef } from '../progress/tasks.js';
import { type Attendee, readAttendees, writeAttendees } from '../seed/attendees.js';
import { killPoint } from '../seed/kill-points.js';
import { type Entry, KINDS, type SeedStore } from '../seed/record.js';
import type { SeedReport } from './seed-report.js';

/**
 * `lab seed --remove`: deletes what the record lists, and only that. Projects go first (at
 * once: they are marked for deletion, then permanently removed), then groups (kept when
 * they hold a project or subgroup lab did not make), users, and instance variables. What is
 * already gone is dropped from the record; a run killed half-way finishes on the next one.
 */
export function removeTasks(gitlab: GitLabClient, store: SeedStore, report: SeedReport, attendeesFile: string): TaskDef[] {
  const rec = store.record;
  const removed = () => {
    killPoint('seed:removing');
  };
  const tasks: TaskDef[] = [
    {
      title: 'projects',
      run: async (t) => {
        await Promise.all(
          Object.entries(rec.projects).map(async ([path, entry]) => {
            t.output(path);
            const project = await gitlab.projects.get(entry.id ?? path);
            if (project && (entry.id !== undefined || project.path_with_namespace === path)) {
              if (!project.marked_for_deletion_on) await gitlab.projects.delete(project.id);
              // The mark renamed it (`…-deletion_scheduled-<id>`): permanent removal wants the new path.
              const marked = await gitlab.projects.get(project.id);
              if (marked) await gitlab.projects.permanentlyRemove(project.id, marked.path_with_namespace);
              removed();
              report.add('removed', 'project', path);
            }
            store.delete('projects', path);
            store.flushSoon();
          }),
        );
        for (const kind of ['projectVariables', 'allowlist', 'protectedTags'] as const)
          for (const key of Object.keys(rec[kind])) store.delete(kind, key);
        return undefined;
      },
    },
    {
      title: 'groups',
      run: async (t) => {
        const everyGroup = Object.keys(rec.groups).length > 0 ? await gitlab.groups.all() : [];
        await Promise.all(
          Object.entries(rec.groups).map(async ([path, entry]) => {
            t.output(path);
            const group = everyGroup.find((g) => (entry.id !== undefined ? g.id === entry.id : g.full_path === path));
            if (group) {
              const foreign = [
                ...((await gitlab.groups.projectPaths(group.id)) ?? []),
                ...everyGroup.filter((g) => g.full_path.startsWith(`${group.full_path}/`)).map((g) => g.full_path),
              ];
              if (foreign.length > 0) {
                report.add('left', 'group', path, `it holds ${foreign.join(', ')}, which lab did not create`);
                return;
              }
              await deleteGroup(gitlab, group.id);
              removed();
              report.add('removed', 'group', path);
            }
            store.delete('groups', path);
            for (const key of Object.keys(rec.members)) if (key.startsWith(`${path}#`)) store.delete('members', key);
            store.flushSoon();
          }),
        );
        return undefined;
      },
    },
    {
      title: 'users',
      run: async (t) => {
        await Promise.all(
          Object.entries(rec.users).map(([name, entry]) => removeUser(gitlab, store, report, name, entry, t.output, removed)),
        );
        const left = (await readAttendees(attendeesFile)).filter((a: Attendee) => a.username in rec.users);
        if (left.length > 0) await writeAttendees(attendeesFile, left);
        else await rm(attendeesFile, { force: true });
        rec.attendees = rec.attendees.filter((a) => a in rec.users);
        return undefined;
      },
    },
    {
      title: 'instance variables',
      run: async () => {
        for (const key of Object.keys(rec.instanceVariables)) {
          if (await gitlab.variables.delete({ kind: 'instance' }, key)) {
            removed();
            report.add('removed', 'instance variable', key);
          }
          store.delete('instanceVariables', key);
        }
        await store.flush();
        return undefined;
      },
    },
  ];
  return tasks;
}

async function removeUser(
  gitlab: GitLabClient,
  store: SeedStore,
  report: SeedReport,
  name: string,
  entry: Entry,
  output: (text: string) => void,
  removed: () => void,
): Promise<void> {
  output(name);
  const id = entry.id ?? (await gitlab.users.byUsername(name))?.id;
  if (id !== undefined && (await gitlab.users.delete(id))) {
    removed();
    report.add('removed', 'user', name);
  }
  store.delete('users', name);
  store.flushSoon();
}

/** Marks a group for deletion, which frees its path at once; a mark already made counts as done. */
async function deleteGroup(gitlab: GitLabClient, id: number): Promise<void> {
  try {
    await gitlab.groups.delete(id);
  } catch (err) {
    if (err instanceof GitLabApiError && err.status === 400 && /already marked/i.test(err.detail)) return;
    throw err;
  }
}

/** Whether the record lists anything at all. */
export function recordsSomething(store: SeedStore): boolean {
  return KINDS.some((k) => Object.keys(store.record[k]).length > 0);
}
