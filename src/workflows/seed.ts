import { join } from 'node:path';
import { type LabModel, publicUrl, registryAddress } from '../config/model.js';
import { ConfigError } from '../config/parse.js';
import { warn } from '../progress/events.js';
import { runTasks, type TaskDef } from '../progress/tasks.js';
import { type Attendee, attendeeNames, generatePassword, handout, readAttendees, writeAttendees } from '../seed/attendees.js';
import { attendeeGroup, type DesiredSeed, desiredSeed } from '../seed/desired.js';
import { MAX_ATTENDEES } from '../seed/format.js';
import { killPoint } from '../seed/kill-points.js';
import { loadWorkshop } from '../seed/load.js';
import { COMMAND_LINE_ATTENDEES, intents, planSeed, problemAt, type SeedPlan } from '../seed/plan.js';
import { SeedStore } from '../seed/record.js';
import type { Workshop } from '../seed/workshop.js';
import { fail, UsageError } from '../util/errors.js';
import { readOptional } from '../util/fs.js';
import type { WorkflowContext } from './context.js';
import { seedClient } from './seed-client.js';
import { applyCopy, ensureVariable } from './seed-copy.js';
import { lookUp } from './seed-lookup.js';
import { type PipelineOutcome, rerunAffected, waitTasks } from './seed-pipelines.js';
import { removeTasks } from './seed-remove.js';
import { type ReportItem, SeedReport } from './seed-report.js';
import type { SeedRun } from './seed-run.js';

export interface SeedOptions {
  /** `--file`; lab.yml's `seed:` section or the built-in workshop otherwise. */
  file: string | undefined;
  /** `--attendees`: a count or usernames; the workshop's `attendees:` otherwise. */
  attendees: number | string[] | undefined;
  lesson: 'job-token' | undefined;
  /** `--reset <attendee|workshop|all>`. */
  reset: string | undefined;
  wait: boolean;
  timeoutMs: number;
  /** API calls at a time. */
  concurrency: number;
  configFile: string | undefined;
}

export interface SeedResult {
  source: string;
  items: ReportItem[];
  summary: string[];
  attendees: { username: string; group: string; url: string }[];
  pipelines: PipelineOutcome[] | undefined;
  apiCalls: number;
}

export function attendeesFile(model: LabModel): string {
  return join(model.paths.secretsDir, 'attendees.csv');
}

/**
 * `lab seed`: the workshop in GitLab. Everything is checked before the first call that
 * changes GitLab: the workshop file, then every name it wants (a clash with anything lab
 * did not create stops the run with exit code 2). Then the creations are recorded as
 * pending, made (each copy of the workshop on its own, API calls limited), and recorded.
 */
export async function seed(model: LabModel, ctx: WorkflowContext, options: SeedOptions): Promise<SeedResult> {
  const workshop = await loadWorkshop({ file: options.file, configFile: options.configFile, hasSection: model.seed !== undefined });
  const store = await SeedStore.open(model.paths.stateDir);
  const fromCli = options.attendees !== undefined;
  const wanted = attendeeNames(options.attendees ?? workshop.data.attendees);
  const names = [...store.record.attendees, ...wanted.filter((n) => !store.record.attendees.includes(n))];
  const attendeesWhere = fromCli ? COMMAND_LINE_ATTENDEES : ['attendees'];
  if (names.length > MAX_ATTENDEES) {
    throw new ConfigError([
      problemAt(
        workshop,
        attendeesWhere,
        `${names.length} attendees (${store.record.attendees.length} seeded before) is more than the maximum of ${MAX_ATTENDEES}`,
      ),
    ]);
  }
  const reset = resetScope(options.reset, names);
  const caPem = (await readOptional(model.paths.tlsCa)) ?? (await readOptional(model.paths.caCert));
  if (caPem === undefined) throw fail(`the lab CA certificate is missing (${model.paths.tlsCa})`, 'Run `lab up` first.');
  const desired = await desiredSeed(
    workshop,
    { gitlabHost: model.hosts.gitlab, registry: registryAddress(model), caPem: caPem.toString('utf8') },
    { attendees: names, lesson: options.lesson, attendeesWhere },
  );
  warnAboutGoPort(model, workshop, ctx);

  const client = await seedClient(model, ctx.env, options.concurrency);
  const report = new SeedReport();
  const run: SeedRun = {
    gitlab: client.gitlab,
    store,
    plan: undefined as unknown as SeedPlan,
    report,
    passwords: new Map(),
    ids: { users: new Map(), groups: new Map(), projects: new Map() },
    created: new Set(),
    pushed: new Set(),
    affected: new Set(),
    reset,
    lesson: options.lesson,
  };
  const projects = desired.copies.flatMap((c) => c.projects);
  const outcomes: PipelineOutcome[] = [];
  const tasks: TaskDef[] = [
    {
      title: 'Look up the workshop in GitLab',
      run: async (t) => {
        const observed = await lookUp(client.gitlab, desired, (text) => t.output(text));
        run.plan = planSeed(workshop, desired, observed, store.record);
        if (run.plan.problems.length > 0) throw new ConfigError(run.plan.problems);
        const todo = intents(run.plan);
        await recordIntents(run, todo, names, attendeesFile(model));
        return `${todo.length} to create`;
      },
    },
    {
      title: 'Instance CI/CD variables',
      run: async () => {
        for (const v of desired.instanceVariables) {
          const changed = await ensureVariable(run, { kind: 'instance' }, v, 'instance variable', v.key);
          store.set('instanceVariables', v.key, { state: 'done' });
          if (changed) run.affected.add('*');
        }
        return `${desired.instanceVariables.length}`;
      },
    },
    {
      title: 'Workshop',
      concurrent: true,
      children: desired.copies.map((copy) => ({
        title: copy.user ? `attendee ${copy.id}` : `workshop (${copy.groups.map((g) => g.path).join(', ') || 'no groups'})`,
        run: (t) => applyCopy(run, copy, t),
      })),
    },
    {
      title: 'Pipelines',
      run: async () => {
        const started = await rerunAffected(run, projects);
        await store.flush();
        return started > 0 ? `ran ${started} again` : `${run.pushed.size} started by pushes`;
      },
    },
  ];
  if (options.wait) {
    const list = projects.map((project) => ({ project, id: () => run.ids.projects.get(project.path) }));
    tasks.push({
      title: 'Wait for pipelines',
      concurrent: true,
      children: waitTasks(client.gitlab, list, { registry: registryAddress(model), timeoutMs: options.timeoutMs, outcomes }),
    });
  }
  try {
    await runTasks(tasks, ctx.progress);
  } finally {
    client.close();
    await store.flush();
  }
  const url = publicUrl(model, model.hosts.gitlab);
  return {
    source: workshop.file,
    items: report.items,
    summary: report.lines(),
    attendees: names.map((username) => ({ username, group: attendeeGroup(username), url: `${url}/${attendeeGroup(username)}` })),
    pipelines: options.wait ? sortByProject(outcomes, desired) : undefined,
    apiCalls: client.calls(),
  };
}

/**
 * Before anything is created: every creation is recorded as pending, and every attendee
 * has a password in attendees.csv. A run killed after this finds them on the next run.
 */
async function recordIntents(run: SeedRun, todo: ReturnType<typeof intents>, names: string[], file: string): Promise<void> {
  for (const { kind, key } of todo) run.store.set(kind, key, { ...run.store.get(kind, key), state: 'pending' });
  run.store.addAttendees(names);
  const known = await readAttendees(file);
  const rows: Attendee[] = [...known];
  for (const username of names) {
    if (!known.some((a) => a.username === username)) rows.push({ username, password: generatePassword(), group: attendeeGroup(username) });
  }
  if (rows.length !== known.length) await writeAttendees(file, rows);
  for (const a of rows) run.passwords.set(a.username, a.password);
  for (const [username, d] of run.plan.users) {
    if (d.action !== 'create' && !run.passwords.has(username))
      throw fail(`no password for ${username} in ${file}`, 'Restore attendees.csv from a backup.');
  }
  await run.store.flush();
  killPoint('seed:intent');
}

/** The copies `--reset` puts back: `all`, `workshop`, or one attendee. */
function resetScope(reset: string | undefined, names: string[]): Set<string> {
  if (reset === undefined) return new Set();
  if (reset === 'all') return new Set(['workshop', ...names]);
  if (reset === 'workshop' || names.includes(reset)) return new Set([reset]);
  throw new UsageError(
    `--reset: "${reset}" is no attendee of this lab`,
    `Give "all", "workshop" (the teacher's projects) or an attendee${names.length > 0 ? ` (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''})` : ''}.`,
  );
}

/** Go asks https://<host>/<path>?go-get=1 on port 443 for a module; a lab on another port cannot serve it. */
function warnAboutGoPort(model: LabModel, workshop: Workshop, ctx: WorkflowContext): void {
  if (model.ports.https === 443 || !workshop.data.projects.some((p) => p.template === 'go-service')) return;
  warn(
    ctx.progress,
    `note: ports.https is ${model.ports.https}, but Go fetches modules from https://${model.hosts.gitlab}/ on port 443: the go-service pipelines will fail to fetch their module (use ports.https: 443 for this workshop)`,
  );
}

function sortByProject(outcomes: PipelineOutcome[], desired: DesiredSeed): PipelineOutcome[] {
  const order = desired.copies.flatMap((c) => c.projects.map((p) => p.path));
  return [...outcomes].sort((a, b) => order.indexOf(a.project) - order.indexOf(b.project));
}

export interface RemoveResult {
  items: ReportItem[];
  summary: string[];
  apiCalls: number;
}

/** `lab seed --remove`. */
export async function removeSeed(model: LabModel, ctx: WorkflowContext, options: { concurrency: number }): Promise<RemoveResult> {
  const store = await SeedStore.open(model.paths.stateDir);
  const report = new SeedReport();
  if (store.isEmpty()) return { items: [], summary: [], apiCalls: 0 };
  const client = await seedClient(model, ctx.env, options.concurrency);
  try {
    await runTasks(
      [{ title: 'Remove what lab seeded', children: removeTasks(client.gitlab, store, report, attendeesFile(model)) }],
      ctx.progress,
    );
  } finally {
    client.close();
    await store.flush();
  }
  return { items: report.items, summary: report.lines(), apiCalls: client.calls() };
}

/** `lab seed --handout`: the attendees' sheet, from attendees.csv (GitLab is not asked). */
export async function handoutSheet(model: LabModel): Promise<{ url: string; attendees: Attendee[]; lines: string[] }> {
  const attendees = await readAttendees(attendeesFile(model));
  if (attendees.length === 0) throw new UsageError('there are no attendees in this lab yet', 'Run `lab seed --attendees <n>` first.');
  const url = publicUrl(model, model.hosts.gitlab);
  return { url, attendees, lines: handout(attendees, url) };
}
