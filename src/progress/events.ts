/**
 * Progress as events. Workflows describe long work as a tree of tasks (tasks.ts) and emit
 * what happens to them; the CLI decides how to show it (a listr2 tree on a terminal, plain
 * timestamped lines in CI and pipes, nothing for --json). No layer below the CLI knows how
 * progress looks.
 */

/** A task of the tree as the renderers see it before anything runs. */
export interface TaskNode {
  /** Stable within one run, e.g. `2.1`. */
  id: string;
  title: string;
  /** Children run side by side. */
  concurrent: boolean;
  /** Shown as skipped with this reason; nothing runs. */
  skip?: string;
  children?: TaskNode[];
}

export type ProgressEvent =
  /** A line outside the task tree: a note before the work starts, a warning. */
  | { type: 'note'; level: 'info' | 'warn'; text: string }
  /** The whole tree, before the first task starts. */
  | { type: 'plan'; tasks: TaskNode[] }
  | { type: 'start'; id: string }
  /** Live detail of a running task. `keep`: a step worth keeping in a log; otherwise superseded by the next. */
  | { type: 'output'; id: string; text: string; keep: boolean }
  | { type: 'title'; id: string; title: string }
  | { type: 'done'; id: string; note: string | undefined; ms: number }
  /** `aborted`: the task stopped because another one failed. */
  | { type: 'fail'; id: string; error: unknown; aborted: boolean }
  | { type: 'skip'; id: string; reason: string }
  /** The tree finished (`ok`) or stopped at its first failure. */
  | { type: 'end'; ok: boolean };

export interface ProgressReporter {
  emit(event: ProgressEvent): void;
  /** Resolves once everything emitted so far is shown (a renderer's final frame). */
  settled(): Promise<void>;
}

/** A reporter that shows nothing: for `--json` and for callers that only want the result. */
export const silentProgress: ProgressReporter = {
  emit: () => undefined,
  settled: async () => undefined,
};

/** Notes are the common case; these keep call sites short. */
export function info(progress: ProgressReporter, text: string): void {
  progress.emit({ type: 'note', level: 'info', text });
}

export function warn(progress: ProgressReporter, text: string): void {
  progress.emit({ type: 'note', level: 'warn', text });
}

/** Each task's title and parent, by id: what a renderer needs to name a task in full. */
export function indexTree(tasks: TaskNode[]): { titles: Map<string, string>; parents: Map<string, string> } {
  const titles = new Map<string, string>();
  const parents = new Map<string, string>();
  const walk = (list: TaskNode[], parent: string | undefined) => {
    for (const n of list) {
      titles.set(n.id, n.title);
      if (parent) parents.set(n.id, parent);
      if (n.children) walk(n.children, n.id);
    }
  };
  walk(tasks, undefined);
  return { titles, parents };
}
