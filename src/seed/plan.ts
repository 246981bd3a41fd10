import type { ConfigProblem } from '../config/parse.js';
import type { DesiredSeed } from './desired.js';
import type { Entry, Kind, SeedRecord } from './record.js';
import type { FieldPath, Workshop } from './workshop.js';

/**
 * The decisions of one run for the objects that have a name of their own in GitLab (users,
 * groups, projects, instance variables), made from what GitLab has and what lab recorded,
 * before anything is created. Anything of that name that lab did not create is a clash:
 * the run stops with exit code 2 and changes nothing.
 */
export type Decision =
  /** Absent: lab creates it. */
  | { action: 'create'; recreate: boolean }
  /** Present and lab's: kept. */
  | { action: 'keep'; id: number }
  /** Present, and lab was about to create it when a run was killed: lab made it. */
  | { action: 'adopt'; id: number };

/** What GitLab has, by name: an id, or undefined when absent. */
export interface Observed {
  users: Map<string, number | undefined>;
  groups: Map<string, number | undefined>;
  projects: Map<string, number | undefined>;
  /** Instance variables that exist (by key); 0 stands in for an id. */
  instanceVariables: Map<string, number | undefined>;
}

export interface SeedPlan {
  users: Map<string, Decision>;
  groups: Map<string, Decision>;
  projects: Map<string, Decision>;
  instanceVariables: Map<string, Decision>;
  problems: ConfigProblem[];
}

/** Where the attendees came from when it was the command line, not the workshop. */
export const COMMAND_LINE_ATTENDEES: FieldPath = ['--attendees'];

export function problemAt(w: Workshop, where: FieldPath, message: string, suggestion?: string): ConfigProblem {
  if (where === COMMAND_LINE_ATTENDEES) return { file: 'lab seed', field: '--attendees', message, ...(suggestion ? { suggestion } : {}) };
  return w.at(where, message, suggestion);
}

const HINT =
  'lab changes nothing it did not create: rename it in the workshop (or pick other attendee names), or rename or remove the one in GitLab yourself.';

export function decide(entry: Entry | undefined, id: number | undefined): Decision | 'clash' {
  if (id === undefined) return { action: 'create', recreate: entry?.state === 'done' };
  if (entry?.state === 'pending') return { action: 'adopt', id };
  // Instance variables have no id: the record's word is enough.
  if (entry?.state === 'done' && (entry.id === undefined || entry.id === id)) return { action: 'keep', id };
  return 'clash';
}

export function planSeed(w: Workshop, desired: DesiredSeed, observed: Observed, record: SeedRecord): SeedPlan {
  const plan: SeedPlan = { users: new Map(), groups: new Map(), projects: new Map(), instanceVariables: new Map(), problems: [] };
  const judge = (kind: Kind, map: Map<string, Decision>, key: string, id: number | undefined, what: string, where: FieldPath) => {
    if (map.has(key)) return;
    const d = decide(record[kind][key], id);
    if (d === 'clash') {
      const replaced = record[kind][key]?.state === 'done';
      plan.problems.push(
        problemAt(
          w,
          where,
          `${what} already exists in GitLab${replaced ? ', and it is not the one lab created' : ' and lab did not create it'}`,
          HINT,
        ),
      );
    } else map.set(key, d);
  };
  for (const v of desired.instanceVariables) {
    judge(
      'instanceVariables',
      plan.instanceVariables,
      v.key,
      observed.instanceVariables.get(v.key),
      `the instance CI/CD variable ${v.key}`,
      [...v.where, 'key'],
    );
  }
  for (const copy of desired.copies) {
    if (copy.user)
      judge(
        'users',
        plan.users,
        copy.user.username,
        observed.users.get(copy.user.username),
        `the user "${copy.user.username}"`,
        copy.user.where,
      );
    for (const g of copy.groups) judge('groups', plan.groups, g.path, observed.groups.get(g.path), `the group "${g.path}"`, g.where);
    for (const p of copy.projects)
      judge('projects', plan.projects, p.path, observed.projects.get(p.path), `the project "${p.path}"`, p.where);
  }
  return plan;
}

/** The record entries to write before anything is created: every `create` becomes `pending`. */
export function intents(plan: SeedPlan): { kind: Kind; key: string }[] {
  const out: { kind: Kind; key: string }[] = [];
  const add = (kind: Kind, map: Map<string, Decision>) => {
    for (const [key, d] of map) if (d.action === 'create') out.push({ kind, key });
  };
  add('users', plan.users);
  add('groups', plan.groups);
  add('projects', plan.projects);
  add('instanceVariables', plan.instanceVariables);
  return out;
}
