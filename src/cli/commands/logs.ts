import { isServiceName, SERVICE_NAMES } from '../../services/registry.js';
import { UsageError } from '../../util/errors.js';
import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface LogsCommandOptions {
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

export default async function logsCommand(options: LogsCommandOptions, ctx: CliContext): Promise<void> {
  const service = options.service ?? '';
  if (!isServiceName(service)) throw new UsageError(`unknown service "${service}"`, `The services are ${SERVICE_NAMES.join(', ')}.`);
  const tail = parseTail(options.tail);
  const { model } = await loadLabFor(ctx);
  const { logs } = await import('../../workflows/logs.js');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    await logs(model, ctx.env, service, {
      follow: options.follow === true,
      tail,
      stdout: process.stdout,
      stderr: process.stderr,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', stop);
  }
}
