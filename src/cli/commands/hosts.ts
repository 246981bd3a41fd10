import { fail } from '../../util/errors.js';
import type { CliContext } from '../context.js';

// Placeholder until issue #6 lands; replaced by the real implementation.
export default async function hosts(_options: Record<string, unknown>, _ctx: CliContext): Promise<void> {
  throw fail('`lab hosts` is not implemented yet', 'It is coming with issue #6.');
}
