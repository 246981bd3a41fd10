import { SERVICE_NAMES, type ServiceName } from '../../stack/spec.js';
import { UsageError } from '../../util/errors.js';
import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface LogsOptions {
  /** The `<service>` argument; main.ts merges positional arguments into the options by name. */
  service?: string;
  follow?: boolean;
  tail: string;
}

export function parseTail(text: string): number | 'all' {
  if (text === 'all') return 'all';
  if (/^\d+$/.test(text)) return Number(text);
  throw new UsageError(`--tail "${text}" is not a number of lines`, 'Use a whole number such as 100, or "all".');
}

export default async function logs(options: LogsOptions, ctx: CliContext): Promise<void> {
  const service = options.service ?? '';
  if (!SERVICE_NAMES.includes(service as ServiceName)) {
    throw new UsageError(`unknown service "${service}"`, `The services are ${SERVICE_NAMES.join(', ')}.`);
  }
  const tail = parseTail(options.tail);
  const { model } = await loadLabFor(ctx);
  const { serviceLogs } = await import('../../engine/lifecycle.js');
  await serviceLogs(model, ctx, service as ServiceName, { follow: options.follow === true, tail });
}
