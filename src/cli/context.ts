import type { Output } from './output.js';

/** What every command receives besides its own options. */
export interface CliContext {
  /** The lab folder (`--dir`), as given. */
  dir: string;
  out: Output;
  env: NodeJS.ProcessEnv;
}
