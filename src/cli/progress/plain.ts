import { indexTree, type ProgressEvent, type ProgressReporter } from '../../progress/events.js';
import { elapsed } from '../../util/time.js';
import type { Output } from '../output.js';

/** Plain logs get a detail line at most every 5 s per task: readable in CI, not a flood. */
const OUTPUT_EVERY_MS = 5000;

/**
 * Progress as timestamped lines, for pipes, CI and --quiet: one line when a task starts,
 * ends, fails or is skipped, and its live detail now and then.
 */
export function plainReporter(out: Output): ProgressReporter {
  const stamp = () => new Date().toTimeString().slice(0, 8);
  const line = (text: string) => out.info(`${stamp()} ${text}`);
  let titles = new Map<string, string>();
  let parents = new Map<string, string>();
  const lastOutput = new Map<string, { at: number; text: string }>();
  const fullTitle = (id: string): string => {
    const parent = parents.get(id);
    const own = titles.get(id) ?? id;
    return parent ? `${fullTitle(parent)} › ${own}` : own;
  };

  const handle = (e: ProgressEvent) => {
    switch (e.type) {
      case 'note':
        if (e.level === 'warn') out.warn(e.text);
        else out.info(e.text);
        return;
      case 'plan':
        ({ titles, parents } = indexTree(e.tasks));
        return;
      case 'start':
        return line(`start ${fullTitle(e.id)}`);
      case 'title':
        titles.set(e.id, e.title);
        return;
      case 'output': {
        const now = Date.now();
        const last = lastOutput.get(e.id);
        if (!e.keep && last && (last.text === e.text || now - last.at < OUTPUT_EVERY_MS)) return;
        lastOutput.set(e.id, { at: now, text: e.text });
        return line(`      ${fullTitle(e.id)}: ${e.text}`);
      }
      case 'done':
        return line(`done  ${fullTitle(e.id)}${e.note ? `: ${e.note}` : ''} (${elapsed(e.ms)})`);
      case 'fail':
        if (!e.aborted) line(`fail  ${fullTitle(e.id)}`);
        return;
      case 'skip':
        return line(`skip  ${fullTitle(e.id)}: ${e.reason}`);
      case 'end':
        return;
    }
  };
  return { emit: handle, settled: async () => undefined };
}
