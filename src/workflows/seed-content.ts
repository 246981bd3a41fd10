import type { CommitAction } from '../gitlab/projects.js';
import type { DesiredProject } from '../seed/desired.js';
import { killPoint } from '../seed/kill-points.js';
import type { SeedRun } from './seed-run.js';

/** Seeded projects have one branch to start from, as `git init -b main` would. */
export const DEFAULT_BRANCH = 'main';

/**
 * A project's files: one real commit through the commits API when the project is empty
 * (GitLab runs its pipeline as for a push), nothing when it has content, and with `reset`
 * a commit that puts every template file back as the template has it and deletes the files
 * an earlier version of the template pushed but this one does not have. Files that someone
 * added stay.
 */
export async function pushContent(run: SeedRun, p: DesiredProject, reset: boolean): Promise<void> {
  const { gitlab, store } = run;
  const id = run.ids.projects.get(p.path);
  if (id === undefined) throw new Error(`project ${p.path} without an id`);
  const entry = store.get('projects', p.path);
  const head = run.created.has(p.path) ? undefined : await gitlab.projects.branchHead(id, DEFAULT_BRANCH);
  const files = Object.keys(p.files).sort();

  if (head === undefined) {
    const actions: CommitAction[] = files.map((path) => ({ action: 'create', file_path: path, content: p.files[path] ?? '' }));
    await gitlab.projects.commit(id, DEFAULT_BRANCH, `Seed ${p.path} from the ${p.template} template`, actions);
    killPoint('seed:pushed');
    finish(run, p, files, 'created');
    return;
  }
  if (!reset) {
    if (entry?.files?.length === 0) store.set('projects', p.path, { ...entry, files });
    run.report.add('kept', 'repository', p.path);
    return;
  }

  const actions: CommitAction[] = [];
  await Promise.all(
    files.map(async (path) => {
      const current = await gitlab.projects.rawFile(id, path, DEFAULT_BRANCH);
      const content = p.files[path] ?? '';
      if (current === undefined) actions.push({ action: 'create', file_path: path, content });
      else if (current !== content) actions.push({ action: 'update', file_path: path, content });
    }),
  );
  const gone = (entry?.files ?? []).filter((f) => !(f in p.files));
  await Promise.all(
    gone.map(async (path) => {
      if ((await gitlab.projects.rawFile(id, path, DEFAULT_BRANCH)) !== undefined) actions.push({ action: 'delete', file_path: path });
    }),
  );
  if (actions.length === 0) {
    run.report.add('kept', 'repository', p.path, 'matches the template');
    store.set('projects', p.path, { ...entry, state: 'done', id, files });
    return;
  }
  actions.sort((a, b) => a.file_path.localeCompare(b.file_path));
  await gitlab.projects.commit(id, DEFAULT_BRANCH, `Reset ${p.path} to the ${p.template} template`, actions);
  finish(run, p, files, 'updated');
}

function finish(run: SeedRun, p: DesiredProject, files: string[], outcome: 'created' | 'updated'): void {
  const entry = run.store.get('projects', p.path);
  run.store.set('projects', p.path, { ...entry, state: 'done', files });
  run.store.flushSoon();
  run.pushed.add(p.path);
  run.report.add(outcome, 'commit', p.path);
}
