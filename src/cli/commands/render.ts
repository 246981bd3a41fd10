import { relative } from 'node:path';
import { loadRenderInputs } from '../../stack/inputs.js';
import { renderFiles, writeRendered } from '../../stack/render.js';
import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface RenderOptions {
  json?: boolean;
}

/** `lab render`: lab.yml in, compose/Traefik/runner files out; unchanged files are left alone. */
export default async function render(options: RenderOptions, ctx: CliContext): Promise<void> {
  // Invalid config throws here (exit 2), before anything is written.
  const { model } = await loadLabFor(ctx);
  const written = await writeRendered(renderFiles(model, await loadRenderInputs(model)));
  const files = written.map((w) => ({ path: relative(model.paths.dir, w.path), result: w.result }));
  if (options.json) {
    ctx.out.json({ dir: model.paths.dir, files });
    return;
  }
  const s = ctx.out.style;
  const label = { created: s.green('created  '), updated: s.yellow('updated  '), unchanged: s.dim('unchanged') };
  for (const f of files) ctx.out.result(`${label[f.result]} ${f.path}`);
}
