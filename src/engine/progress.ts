import type { ListrTask } from 'listr2';
import type { Output } from '../cli/output.js';

/**
 * Progress for long commands, independent of how it is shown: a listr2 task tree on an
 * interactive terminal, plain timestamped lines otherwise (pipes, CI, --quiet).
 */
export interface TaskHandle {
  /** One line of live detail that is superseded by the next: bytes pulled, time waited. */
  output(text: string): void;
  /** A step worth keeping in the record (a bootstrap step): never throttled in plain logs. */
  log(text: string): void;
  title(text: string): void;
  /** Aborted when a sibling task fails, so loops (waits, pulls) stop early. */
  readonly signal: AbortSignal;
}

export interface TaskDef {
  title: string;
  /** A leaf's work. Returning a string appends it to the title when done (e.g. "ready in 3.1s"). */
  run?: (task: TaskHandle) => Promise<string | void>;
  children?: TaskDef[];
  concurrent?: boolean;
  /** Shown as skipped with this reason; nothing runs. */
  skip?: string;
}

export interface Progress {
  run(tasks: TaskDef[]): Promise<void>;
}

export function elapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

export function createProgress(out: Output): Progress {
  return out.interactive && !out.quiet ? listrProgress() : plainProgress(out);
}

/** Runs leaves under one abort controller; the first failure aborts everything else. */
class Runner {
  readonly controller = new AbortController();
  private readonly pending = new Set<Promise<unknown>>();
  leaf(def: TaskDef, handle: Omit<TaskHandle, 'signal'>): Promise<string | void> {
    const p = (async () => {
      try {
        return await def.run?.({ ...handle, signal: this.controller.signal });
      } catch (err) {
        this.controller.abort();
        throw err;
      }
    })();
    this.pending.add(p);
    void p.catch(() => undefined).finally(() => this.pending.delete(p));
    return p;
  }
  /** Waits until every started leaf has settled: nothing may keep running after a failure. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}

function plainProgress(out: Output): Progress {
  const stamp = () => new Date().toTimeString().slice(0, 8);
  const line = (text: string) => out.info(`${stamp()} ${text}`);
  return {
    async run(tasks) {
      const runner = new Runner();
      const runOne = async (def: TaskDef, prefix: string): Promise<void> => {
        const title = prefix ? `${prefix} › ${def.title}` : def.title;
        if (def.skip !== undefined) {
          line(`skip  ${title}: ${def.skip}`);
          return;
        }
        if (def.children) {
          await runAll(def.children, def.concurrent ?? false, title);
          return;
        }
        const started = Date.now();
        let current = title;
        let lastOutput = 0;
        let lastText = '';
        line(`start ${current}`);
        try {
          const note = await runner.leaf(def, {
            // Plain logs get a detail line at most every 5 s per task: readable in CI, not a flood.
            output: (text) => {
              const now = Date.now();
              if (text === lastText || now - lastOutput < 5000) return;
              lastOutput = now;
              lastText = text;
              line(`      ${current}: ${text}`);
            },
            log: (text) => line(`      ${current}: ${text}`),
            title: (text) => {
              current = prefix ? `${prefix} › ${text}` : text;
            },
          });
          line(`done  ${current}${note ? `: ${note}` : ''} (${elapsed(Date.now() - started)})`);
        } catch (err) {
          if (!runner.controller.signal.aborted || !(err instanceof Error && err.name === 'AbortError')) line(`fail  ${current}`);
          throw err;
        }
      };
      const runAll = async (defs: TaskDef[], concurrent: boolean, prefix: string): Promise<void> => {
        if (!concurrent) {
          for (const d of defs) await runOne(d, prefix);
          return;
        }
        const results = await Promise.allSettled(defs.map((d) => runOne(d, prefix)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      };
      try {
        await runAll(tasks, false, '');
      } finally {
        await runner.drain();
      }
    },
  };
}

function listrProgress(): Progress {
  return {
    async run(tasks) {
      const { Listr, PRESET_TIMER } = await import('listr2');
      const runner = new Runner();
      const toListr = (def: TaskDef): ListrTask => ({
        title: def.title,
        skip: def.skip === undefined ? false : `${def.title}: ${def.skip}`,
        rendererOptions: { outputBar: 1, persistentOutput: false },
        task: async (_ctx, task) => {
          if (def.children) return task.newListr(def.children.map(toListr), { concurrent: def.concurrent ?? false, exitOnError: true });
          const note = await runner.leaf(def, {
            output: (text) => {
              task.output = text;
            },
            log: (text) => {
              task.output = text;
            },
            title: (text) => {
              task.title = text;
            },
          });
          if (note) task.title = `${task.title ?? def.title}: ${note}`;
          return undefined;
        },
      });
      const list = new Listr(tasks.map(toListr), {
        concurrent: false,
        exitOnError: true,
        rendererOptions: { collapseSubtasks: false, showErrorMessage: false, collapseErrors: false, timer: PRESET_TIMER },
      });
      try {
        await list.run();
      } finally {
        await runner.drain();
      }
    },
  };
}
