import type { ProgressReporter } from '../progress/events.js';

/** What every workflow gets from the command that runs it. */
export interface WorkflowContext {
  env: NodeJS.ProcessEnv;
  /** Where notes and task progress go; the CLI decides how they look. */
  progress: ProgressReporter;
  /** A lab command as the user should type it for this lab folder (with its --dir), for hints. */
  lab?(args: string): string;
}
