import { readFile } from 'node:fs/promises';
import { displayPath } from '../config/layout.js';
import { errnoCode, UsageError } from '../util/errors.js';
import { parseWorkshop, type Workshop } from './parse.js';
import { builtinWorkshopText } from './templates.js';

export interface WorkshopSource {
  /** `--file`, relative to the working directory. */
  file: string | undefined;
  /** lab.yml, when it has a `seed:` section. */
  configFile: string | undefined;
  hasSection: boolean;
}

/** `--file`, else lab.yml's `seed:` section, else the built-in workshop. */
export async function loadWorkshop(source: WorkshopSource): Promise<Workshop> {
  if (source.file !== undefined) {
    let text: string;
    try {
      text = await readFile(source.file, 'utf8');
    } catch (err) {
      throw new UsageError(
        `cannot read the workshop file ${source.file}: ${errnoCode(err) ?? String(err)}`,
        'Check the path given to --file.',
      );
    }
    return parseWorkshop(text, displayPath(source.file));
  }
  if (source.configFile !== undefined && source.hasSection) {
    return parseWorkshop(await readFile(source.configFile, 'utf8'), displayPath(source.configFile), { base: ['seed'] });
  }
  return parseWorkshop(await builtinWorkshopText(), 'built-in workshop');
}
