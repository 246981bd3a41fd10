import { fail } from '../../util/errors.js';
import type { CliContext } from '../context.js';

// Placeholder until issue #4 lands; replaced by the real implementation.
export default async function up(_options: Record<string, unknown>, _ctx: CliContext): Promise<void> {
  throw fail('`lab up` is not implemented yet', 'It is coming with issue #4.');
}
