import type { ProgressReporter } from '../progress/events.js';

/** What every workflow gets from the command that runs it. */
export interface WorkflowContext {
  env: NodeJS.ProcessEnv;
  /** Where notes and task progress go; the CLI decides how they look. */
  progress: ProgressReporter;
}
