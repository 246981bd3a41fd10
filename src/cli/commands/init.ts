import { displayPath, labPaths } from '../../config/layout.js';
import { parseConfig } from '../../config/parse.js';
import { configTemplate } from '../../config/template.js';
import { UsageError } from '../../util/errors.js';
import { readOptional, writeIfChanged } from '../../util/fs.js';
import type { CliContext } from '../context.js';

export interface InitOptions {
  domain: string;
  force?: boolean;
}

export default async function init(options: InitOptions, ctx: CliContext): Promise<void> {
  const file = labPaths(ctx.dir).configFile;
  const text = configTemplate(options.domain);
  // Validate before writing: a bad --domain must not leave a broken lab.yml behind, and
  // the file must say exactly the domain asked for (nothing smuggled in with a newline).
  let domain: string | undefined;
  try {
    domain = parseConfig(text, '--domain').domain;
  } catch {
    domain = undefined;
  }
  if (domain !== options.domain) {
    throw new UsageError(
      `--domain ${JSON.stringify(options.domain)} is not a valid domain`,
      'Use a lowercase DNS name such as "test" or "lab.internal".',
    );
  }
  const shown = displayPath(file);
  const existing = await readOptional(file);
  if (existing !== undefined && !options.force) {
    throw new UsageError(`${shown} already exists`, 'Pass --force to overwrite it, or edit it by hand.');
  }
  const result = await writeIfChanged(file, text);
  ctx.out.result(`${result === 'unchanged' ? 'unchanged' : existing === undefined ? 'created' : 'overwrote'} ${shown}`);
  ctx.out.info('Every field is optional and shows its default; edit it, then run `lab up` (or `lab render` for the files only).');
}
