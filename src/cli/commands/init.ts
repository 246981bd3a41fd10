import { relative } from 'node:path';
import { parseConfig } from '../../config/load.js';
import { labPaths } from '../../config/paths.js';
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
  // Validate before writing: a bad --domain must not leave a broken lab.yml behind.
  try {
    parseConfig(text, '--domain');
  } catch {
    throw new UsageError(`--domain "${options.domain}" is not a valid domain`, 'Use a lowercase DNS name such as "test" or "lab.internal".');
  }
  const existing = await readOptional(file);
  if (existing !== undefined && !options.force) {
    throw new UsageError(`${relative(process.cwd(), file) || file} already exists`, 'Pass --force to overwrite it, or edit it by hand.');
  }
  const result = await writeIfChanged(file, text);
  ctx.out.result(`${result === 'unchanged' ? 'unchanged' : existing === undefined ? 'created' : 'overwrote'} ${file}`);
}
