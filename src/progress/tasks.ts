import { isAbortError } from '../util/time.js';
import type { ProgressReporter, TaskNode } from './events.js';

/** What a running task may do besides its work. */
export interface TaskHandle {
  /** One line of live detail that is superseded by the next: bytes pulled, time waited. */
  output(text: string): void;
  /** A step worth keeping in the record (a bootstrap step). */
  log(text: string): void;
  title(text: string): void;
  /** Aborted when a sibling task fails, so loops (waits, pulls) stop early. */
  readonly signal: AbortSignal;
}

export interface TaskDef {
  title: string;
  /** A leaf's work. Returning a string appends it to the title when done (e.g. "ready in 3.1s"). */
  run?: (task: TaskHandle) => Promise<string | undefined>;
  children?: TaskDef[];
  concurrent?: boolean;
  /** Shown as skipped with this reason; nothing runs. */
  skip?: string;
}

function nodes(defs: TaskDef[], prefix: string): TaskNode[] {
  return defs.map((d, i) => {
    const id = prefix ? `${prefix}.${i + 1}` : String(i + 1);
    return {
      id,
      title: d.title,
      concurrent: d.concurrent ?? false,
      ...(d.skip !== undefined ? { skip: d.skip } : {}),
      ...(d.children ? { children: nodes(d.children, id) } : {}),
    };
  });
}

/**
 * Runs a task tree and reports every step as events. The first failure aborts the shared
 * signal, so every other task stops early, and is rethrown once nothing runs anymore:
 * no task keeps working after the command has failed.
 */
export async function runTasks(defs: TaskDef[], progress: ProgressReporter): Promise<void> {
  const controller = new AbortController();
  const running = new Set<Promise<unknown>>();
  // The failure that stopped the tree; tasks aborted because of it fail with an AbortError.
  let cause: { error: unknown } | undefined;
  progress.emit({ type: 'plan', tasks: nodes(defs, '') });

  const runLeaf = async (def: TaskDef, id: string): Promise<void> => {
    const started = Date.now();
    progress.emit({ type: 'start', id });
    const work = (async () =>
      def.run?.({
        output: (text) => progress.emit({ type: 'output', id, text, keep: false }),
        log: (text) => progress.emit({ type: 'output', id, text, keep: true }),
        title: (title) => progress.emit({ type: 'title', id, title }),
        signal: controller.signal,
      }))();
    running.add(work);
    try {
      const note = await work;
      progress.emit({ type: 'done', id, note: note || undefined, ms: Date.now() - started });
    } catch (err) {
      const aborted = controller.signal.aborted && isAbortError(err);
      if (!aborted) cause ??= { error: err };
      controller.abort();
      progress.emit({ type: 'fail', id, error: err, aborted });
      throw err;
    } finally {
      running.delete(work);
    }
  };

  const runOne = async (def: TaskDef, id: string): Promise<void> => {
    if (def.skip !== undefined) {
      progress.emit({ type: 'skip', id, reason: def.skip });
      return;
    }
    if (controller.signal.aborted) return;
    if (def.children) return runAll(def.children, def.concurrent ?? false, id);
    return runLeaf(def, id);
  };

  const runAll = async (list: TaskDef[], concurrent: boolean, prefix: string): Promise<void> => {
    const ids = list.map((_, i) => (prefix ? `${prefix}.${i + 1}` : String(i + 1)));
    if (!concurrent) {
      for (const [i, d] of list.entries()) await runOne(d, ids[i] ?? '');
      return;
    }
    const results = await Promise.allSettled(list.map((d, i) => runOne(d, ids[i] ?? '')));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw cause ? cause.error : failed.reason;
  };

  try {
    await runAll(defs, false, '');
    progress.emit({ type: 'end', ok: true });
  } catch (err) {
    while (running.size > 0) await Promise.allSettled([...running]);
    progress.emit({ type: 'end', ok: false });
    throw cause ? cause.error : err;
  } finally {
    await progress.settled();
  }
}
