import { fail } from '../../util/errors.js';
import type { CliContext } from '../context.js';

// Placeholder until issue #5 lands; replaced by the real implementation.
export default async function credentials(_options: Record<string, unknown>, _ctx: CliContext): Promise<void> {
  throw fail('`lab credentials` is not implemented yet', 'It is coming with issue #5.');
}
