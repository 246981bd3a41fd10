import type { ProgressReporter } from '../../progress/events.js';
import type { Output } from '../output.js';
import { listrReporter } from './listr.js';
import { plainReporter } from './plain.js';

/** A task tree on an interactive terminal; plain timestamped lines otherwise (pipes, CI, --quiet). */
export function createReporter(out: Output): ProgressReporter {
  return out.interactive && !out.quiet ? listrReporter(out) : plainReporter(out);
}
