import { ConfigError } from '../config/parse.js';
import type { WorkshopProject, WorkshopVariable } from './format.js';
import { placeholders, renderFiles, renderText, TEMPLATES, templateSource, templateValues } from './templates.js';
import type { FieldPath, Workshop } from './workshop.js';

/**
 * What `lab seed` wants in GitLab, derived from the workshop and nothing else: the
 * workshop itself, and one copy of its projects per attendee in the attendee's own group.
 */
export interface DesiredVariable {
  key: string;
  value: string;
  type: 'env_var' | 'file';
  protected: boolean;
  masked: boolean;
  /** The field in the workshop file that asks for it. */
  where: FieldPath;
}

export interface DesiredGroup {
  path: string;
  name: string;
  description: string | undefined;
  visibility: 'private' | 'internal' | 'public';
  where: FieldPath;
}

export interface DesiredProject {
  /** `group/project`. */
  path: string;
  name: string;
  description: string | undefined;
  visibility: 'private' | 'internal' | 'public';
  template: string;
  /** The rendered files, by path inside the repository. */
  files: Record<string, string>;
  variables: DesiredVariable[];
  protectedTags: string[];
  pushesImage: boolean;
  /** Projects (paths) that must have content before this one is pushed: its pipeline fetches them. */
  uses: string[];
  where: FieldPath;
}

export interface DesiredUser {
  username: string;
  name: string;
  email: string;
  where: FieldPath;
}

/** The workshop, or one attendee's copy of it: created, checked and reported together. */
export interface SeedCopy {
  /** `workshop`, or the attendee's username. */
  id: string;
  user: DesiredUser | undefined;
  groups: DesiredGroup[];
  /** Dependencies first: the order in which content is pushed. */
  projects: DesiredProject[];
  /** `group → username`: the attendee is a Maintainer of their group. */
  members: { group: string; username: string }[];
  /** Inbound job token allowlist entries: jobs of `source` may reach `target`. */
  allow: { target: string; source: string; where: FieldPath }[];
}

export interface DesiredSeed {
  instanceVariables: DesiredVariable[];
  copies: SeedCopy[];
}

export interface LabFacts {
  /** The GitLab host without a port: Go import paths start with it. */
  gitlabHost: string;
  /** `registry.<domain>[:port]`. */
  registry: string;
  /** PEM of the lab CA, for `from: lab-ca`. */
  caPem: string;
}

export interface SeedOptions {
  attendees: string[];
  /** `job-token`: leave out every job token allowlist entry. */
  lesson: 'job-token' | undefined;
  /** Where the attendees came from, for errors about them. */
  attendeesWhere: FieldPath;
}

/** The group that holds an attendee's copy of the workshop (a user's own namespace already has the username). */
export function attendeeGroup(username: string): string {
  return `${username}-workshop`;
}

export async function desiredSeed(w: Workshop, lab: LabFacts, options: SeedOptions): Promise<DesiredSeed> {
  const value = (v: WorkshopVariable, context: Record<string, string>, where: FieldPath): DesiredVariable => ({
    key: v.key,
    value: v.from === 'lab-ca' ? lab.caPem : variableValue(w, v.value ?? '', context, where),
    type: v.type,
    protected: v.protected,
    masked: v.masked,
    where,
  });
  const instanceVariables = w.data.variables.map((v, i) =>
    value(v, { gitlab_host: lab.gitlabHost, registry: lab.registry }, ['variables', i]),
  );

  const ordered = pushOrder(w.data.projects);
  const copy = async (id: string, pathOf: (path: string) => string, user: DesiredUser | undefined): Promise<SeedCopy> => {
    const projects: DesiredProject[] = [];
    for (const { p, i } of ordered) {
      const def = TEMPLATES[p.template];
      if (!def) throw new Error(`unchecked template ${p.template}`);
      const path = pathOf(p.path);
      const params = Object.fromEntries(Object.entries(p.with).map(([k, target]) => [k, { path: pathOf(target) }]));
      const values = templateValues(lab.gitlabHost, lab.registry, { path }, params);
      projects.push({
        path,
        name: p.name ?? path.slice(path.indexOf('/') + 1),
        description: p.description,
        visibility: p.visibility,
        template: p.template,
        files: renderFiles(await templateSource(p.template), values, p.template),
        variables: p.variables.map((v, j) => value(v, values, ['projects', i, 'variables', j])),
        protectedTags: [...new Set([...def.protectedTags, ...p.protectedTags])],
        pushesImage: def.pushesImage,
        uses: Object.values(p.with).map(pathOf),
        where: ['projects', i, 'path'],
      });
    }
    const allow =
      options.lesson === 'job-token'
        ? []
        : w.data.projects.flatMap((p, i) =>
            p.allow.map((source, j) => ({ target: pathOf(p.path), source: pathOf(source), where: ['projects', i, 'allow', j] })),
          );
    const groups: DesiredGroup[] = user
      ? [
          {
            path: attendeeGroup(user.username),
            name: attendeeGroup(user.username),
            description: `The workshop of ${user.username}`,
            visibility: 'private',
            where: user.where,
          },
        ]
      : w.data.groups.map((g, i) => ({
          path: g.path,
          name: g.name ?? g.path,
          description: g.description,
          visibility: g.visibility,
          where: ['groups', i, 'path'],
        }));
    const members = user ? [{ group: attendeeGroup(user.username), username: user.username }] : [];
    return { id, user, groups, projects, members, allow };
  };

  const copies = [await copy('workshop', (p) => p, undefined)];
  for (const username of options.attendees) {
    const group = attendeeGroup(username);
    const user: DesiredUser = { username, name: username, email: `${username}@${lab.gitlabHost}`, where: options.attendeesWhere };
    copies.push(await copy(username, (p) => `${group}/${p.slice(p.indexOf('/') + 1)}`, user));
  }
  return { instanceVariables, copies };
}

/** Projects after the projects they use (the workshop check refused circles). */
function pushOrder(projects: WorkshopProject[]): { p: WorkshopProject; i: number }[] {
  const done = new Set<string>();
  const out: { p: WorkshopProject; i: number }[] = [];
  const byPath = new Map(projects.map((p, i) => [p.path, { p, i }]));
  const visit = (path: string) => {
    const entry = byPath.get(path);
    if (!entry || done.has(path)) return;
    done.add(path);
    for (const used of Object.values(entry.p.with)) visit(used);
    out.push(entry);
  };
  for (const p of projects) visit(p.path);
  return out;
}

/** A variable's value with its placeholders filled in; an unknown one is the workshop's mistake (exit 2). */
function variableValue(w: Workshop, text: string, context: Record<string, string>, where: FieldPath): string {
  const unknown = placeholders(text).find((key) => !(key in context));
  if (unknown !== undefined) {
    throw new ConfigError([
      w.at([...where, 'value'], `unknown placeholder {{lab:${unknown}}} (known here: ${Object.keys(context).join(', ')})`),
    ]);
  }
  return renderText(text, context, w.file);
}
