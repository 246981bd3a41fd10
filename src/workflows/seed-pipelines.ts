import { setMaxListeners } from 'node:events';
import type { GitLabClient } from '../gitlab/client/index.js';
import { FINISHED } from '../gitlab/pipelines.js';
import type { TaskDef } from '../progress/tasks.js';
import type { DesiredProject } from '../seed/desired.js';
import { LabError } from '../util/errors.js';
import { sleep } from '../util/time.js';
import { DEFAULT_BRANCH } from './seed-content.js';
import type { SeedRun } from './seed-run.js';

/**
 * Runs the pipeline again of every seeded project whose CI/CD settings this run changed
 * (a variable, a job token allowlist entry) and that it did not push to: its last pipeline
 * ran without them. A run that changed nothing starts nothing.
 */
export async function rerunAffected(run: SeedRun, projects: DesiredProject[]): Promise<number> {
  const all = run.affected.has('*');
  const todo = projects.filter((p) => !run.pushed.has(p.path) && (all || run.affected.has(p.path)));
  await Promise.all(
    todo.map(async (p) => {
      const id = run.ids.projects.get(p.path);
      if (id === undefined || (await run.gitlab.projects.branchHead(id, DEFAULT_BRANCH)) === undefined) return;
      await run.gitlab.pipelines.create(id, DEFAULT_BRANCH);
      run.report.add('created', 'pipeline', p.path, 'its settings changed');
    }),
  );
  return todo.length;
}

export interface PipelineOutcome {
  project: string;
  status: string;
  url: string | undefined;
  /** The image the pipeline pushed, when it pushes one and succeeded. */
  image: string | undefined;
  /** The failed job and the last lines of its log. */
  failure: { job: string; lines: string[] } | undefined;
}

const POLL_MS = 2000;

/** One task per project: waits for the newest pipeline of the default branch's head to finish. */
export function waitTasks(
  gitlab: GitLabClient,
  projects: { project: DesiredProject; id: () => number | undefined }[],
  options: { registry: string; timeoutMs: number; outcomes: PipelineOutcome[] },
): TaskDef[] {
  return projects.map(({ project, id }) => ({
    title: project.path,
    run: async (t) => {
      // Every waiting task sleeps on the tree's one signal: more than Node's default of 10 listeners.
      setMaxListeners(0, t.signal);
      const projectId = id();
      if (projectId === undefined) throw new Error(`project ${project.path} without an id`);
      const outcome = await waitForPipeline(gitlab, project, projectId, options, t.signal, (text) => t.output(text));
      options.outcomes.push(outcome);
      return outcome.status;
    },
  }));
}

async function waitForPipeline(
  gitlab: GitLabClient,
  project: DesiredProject,
  id: number,
  options: { registry: string; timeoutMs: number },
  signal: AbortSignal,
  report: (text: string) => void,
): Promise<PipelineOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const head = await gitlab.projects.branchHead(id, DEFAULT_BRANCH);
    const [newest] = head === undefined ? [] : await gitlab.pipelines.list(id, { ref: DEFAULT_BRANCH, sha: head });
    if (newest && FINISHED.has(newest.status)) {
      const ok = newest.status === 'success';
      return {
        project: project.path,
        status: newest.status,
        url: newest.web_url,
        image: ok && project.pushesImage ? `${options.registry}/${project.path}:${DEFAULT_BRANCH}` : undefined,
        failure: ok ? undefined : await failureOf(gitlab, id, newest.id),
      };
    }
    report(newest ? `pipeline #${newest.id} ${newest.status}` : 'no pipeline yet');
    if (Date.now() > deadline) {
      throw new LabError(`the pipeline of ${project.path} did not finish in time (${newest ? newest.status : 'none started'})`, {
        hint: 'Check that the runner is online (`lab doctor`) and follow the pipeline in GitLab; `lab seed --wait --timeout 30m` waits longer.',
      });
    }
    await sleep(POLL_MS, signal);
  }
}

/** The first failed job and the last lines of its log, for the teacher to see why. */
async function failureOf(gitlab: GitLabClient, project: number, pipeline: number): Promise<{ job: string; lines: string[] } | undefined> {
  const jobs = await gitlab.pipelines.jobs(project, pipeline);
  const failed = jobs.find((j) => j.status === 'failed');
  if (!failed) return undefined;
  const trace = await gitlab.pipelines.trace(project, failed.id).catch(() => '');
  return { job: failed.name, lines: excerpt(trace) };
}

// The runner's collapsible sections (`section_start:<time>:<name>\r\e[0K`) and colours.
const ESC = String.fromCharCode(27);
const SECTION_MARKER = new RegExp(`section_(start|end):\\d+:[^\\r\\n]*?\\r?${ESC}\\[0K`, 'g');
const ANSI = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, 'g');
// The runner's per-line timestamp and stream marker (`2026-01-02T03:04:05.123456Z 01O `).
const STAMP = /^\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f]{2}[OE]\+? ?/;

/** The lines that say why a job failed: the end of its script, and the runner's verdict. */
export function excerpt(trace: string): string[] {
  const lines = tail(trace, 400);
  const cleanup = lines.findIndex((l) => /^Cleaning up project directory/.test(l));
  if (cleanup < 0) return lines.slice(-8);
  const verdict = lines.slice(cleanup).filter((l) => /^ERROR: /.test(l));
  return [...lines.slice(Math.max(0, cleanup - 8), cleanup), ...verdict];
}

/** The last lines of a job log, without ANSI colours and GitLab's collapsible section markers. */
export function tail(trace: string, n: number): string[] {
  return trace
    .replace(SECTION_MARKER, '')
    .replace(ANSI, '')
    .split(/\r?\n/)
    .map((l) => l.replace(STAMP, '').trimEnd())
    .filter((l) => l !== '')
    .slice(-n);
}
