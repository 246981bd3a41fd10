import type { Listr, ListrTask } from 'listr2';
import { indexTree, type ProgressEvent, type ProgressReporter, type TaskNode } from '../../progress/events.js';
import type { Output } from '../output.js';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failure is shown by listr; nobody else awaits the promise.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Progress as a listr2 task tree on an interactive terminal. The tasks run elsewhere
 * (progress/tasks.ts); listr2 only mirrors them: each of its tasks waits for the events of
 * the task it stands for.
 */
export function listrReporter(out: Output): ProgressReporter {
  type Mirror = { title?: string | undefined; output?: string | undefined };
  const ends = new Map<string, Deferred>();
  const handles = new Map<string, Mirror>();
  const pending = new Map<string, Partial<Mirror>>();
  let titles = new Map<string, string>();
  let run: Promise<unknown> = Promise.resolve();

  const end = (id: string) => {
    let d = ends.get(id);
    if (!d) {
      d = deferred();
      ends.set(id, d);
    }
    return d;
  };
  const update = (id: string, change: Partial<Mirror>) => {
    const handle = handles.get(id);
    if (handle) Object.assign(handle, change);
    else pending.set(id, { ...pending.get(id), ...change });
  };

  const start = async (tasks: TaskNode[]) => {
    const { Listr: ListrClass, PRESET_TIMER } = await import('listr2');
    const toListr = (node: TaskNode): ListrTask => ({
      title: node.title,
      skip: node.skip === undefined ? false : `${node.title}: ${node.skip}`,
      rendererOptions: { outputBar: 1, persistentOutput: false },
      task: async (_ctx, task): Promise<Listr | undefined> => {
        if (node.children) return task.newListr(node.children.map(toListr), { concurrent: node.concurrent, exitOnError: true });
        handles.set(node.id, task);
        Object.assign(task, pending.get(node.id) ?? {});
        await end(node.id).promise;
        return undefined;
      },
    });
    const list = new ListrClass(tasks.map(toListr), {
      concurrent: false,
      exitOnError: true,
      rendererOptions: { collapseSubtasks: false, showErrorMessage: false, collapseErrors: false, timer: PRESET_TIMER },
    });
    await list.run().catch(() => undefined);
  };

  const handle = (e: ProgressEvent) => {
    switch (e.type) {
      case 'note':
        if (e.level === 'warn') out.warn(e.text);
        else out.info(e.text);
        return;
      case 'plan':
        titles = indexTree(e.tasks).titles;
        run = start(e.tasks);
        return;
      case 'output':
        return update(e.id, { output: e.text });
      case 'title':
        titles.set(e.id, e.title);
        return update(e.id, { title: e.title });
      case 'done':
        if (e.note) update(e.id, { title: `${titles.get(e.id) ?? ''}: ${e.note}` });
        end(e.id).resolve();
        return;
      case 'fail':
        end(e.id).reject(e.error);
        return;
      case 'end':
        // Tasks that never started (after a failure) must not keep listr waiting.
        for (const d of ends.values()) d.resolve();
        return;
      default:
        return;
    }
  };
  return { emit: handle, settled: () => run.then(() => undefined) };
}
