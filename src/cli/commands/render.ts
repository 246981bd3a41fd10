import { relative } from 'node:path';
import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';
import { withLock } from '../lock.js';

export interface RenderOptions {
  json?: boolean;
}

/** `lab render`: lab.yml in, compose/Traefik/runner files out; unchanged files are left alone. */
export default async function renderCommand(options: RenderOptions, ctx: CliContext): Promise<void> {
  // Invalid config throws here (exit 2), before anything is written.
  const { model } = await loadLabFor(ctx);
  const [{ renderStack, writeStack }, { loadRenderInputs }] = await Promise.all([
    import('../../stack/render.js'),
    import('../../stack/inputs.js'),
  ]);
  const written = await withLock(model, 'render', ctx, async () => writeStack(model, renderStack(model, await loadRenderInputs(model))));
  const files = written.map((w) => ({ path: relative(model.paths.dir, w.path), result: w.result }));
  if (options.json) {
    ctx.out.json({ dir: model.paths.dir, files });
    return;
  }
  const s = ctx.out.style;
  const label = { created: s.green('created  '), updated: s.yellow('updated  '), unchanged: s.dim('unchanged') };
  for (const f of files) ctx.out.result(`${label[f.result]} ${f.path}`);
}
