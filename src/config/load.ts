import { readFile } from 'node:fs/promises';
import * as v from 'valibot';
import { errnoCode, LabError } from '../util/errors.js';
import { displayPath, labPaths } from './layout.js';
import { buildModel, type LabModel } from './model.js';
import { type LabConfig, labConfigSchema } from './schema.js';

export interface LoadedLab {
  config: LabConfig;
  model: LabModel;
  /** Absolute path of lab.yml, or undefined when the lab runs on defaults. */
  configFile: string | undefined;
}

export interface LoadOptions {
  dir: string;
  caroot?: string | undefined;
  /** The engine's unix socket on this machine, if lab talks to one (see ModelOptions). */
  engineSocket?: string | undefined;
}

/** Reads `<dir>/lab.yml` (defaults when absent) and builds the model. Throws ConfigError (exit 2). */
export async function loadLab(options: LoadOptions): Promise<LoadedLab> {
  const file = labPaths(options.dir).configFile;
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOENT') {
      throw new LabError(`cannot read ${displayPath(file)}: ${code ?? String(err)}`, { exitCode: 2, hint: 'Check the file permissions.' });
    }
  }
  // Without lab.yml the defaults hold, and the YAML parser is not even loaded.
  const config = text === undefined ? defaultConfig() : (await import('./parse.js')).parseConfig(text, displayPath(file));
  return { config, model: buildModel(config, options), configFile: text === undefined ? undefined : file };
}

/** Every field at its default: what an empty lab.yml means. */
export function defaultConfig(): LabConfig {
  return v.parse(labConfigSchema, {});
}
