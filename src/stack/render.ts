import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LabModel } from '../config/model.js';
import { composeFile } from '../render/compose.js';
import { PUBLIC_MODE, type RenderedFile, type WrittenFile, writeRendered } from '../render/files.js';
import type { RenderInputs } from '../services/definition.js';
import { enabledServices } from '../services/registry.js';
import { composeFileOf, composeProject, stackView } from './view.js';

/**
 * Pure: the model (and bootstrap inputs) in, every file lab renders out, in a fixed
 * order: each service's compose file, then each service's own files. No clock, no
 * environment, no file system: the same model renders the same bytes.
 */
export function renderStack(model: LabModel, inputs: RenderInputs = {}): RenderedFile[] {
  const services = enabledServices(model);
  const view = stackView(model);
  const project = composeProject(model);
  return [
    ...services.map((s) => ({
      path: join(model.paths.dir, composeFileOf(s.name)),
      content: composeFile(project, s.container(model, view)),
      mode: PUBLIC_MODE,
    })),
    ...services.flatMap((s) => s.files?.(model, inputs, view) ?? []),
  ];
}

/** Writes the rendered files (only those whose bytes changed), then prunes what lab no longer renders. */
export async function writeStack(model: LabModel, files: RenderedFile[]): Promise<WrittenFile[]> {
  const written = await writeRendered(files);
  await pruneJobCerts(model, files);
  return written;
}

/**
 * The jobs' certs.d tree is lab's alone; after a change of host or port, the folder for
 * the old `registry[:port]` would linger and keep trusting the CA there. Only folders
 * holding nothing but lab's `ca.crt` are removed.
 */
async function pruneJobCerts(model: LabModel, files: RenderedFile[]): Promise<void> {
  const root = model.paths.jobCertsDir;
  const current = files.find((f) => basename(f.path) === 'ca.crt' && dirname(dirname(f.path)) === root);
  if (!current) return;
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const dir = join(root, entry.name);
    if (!entry.isDirectory() || dir === dirname(current.path)) continue;
    const inside = await readdir(dir);
    if (inside.length === 1 && inside[0] === 'ca.crt') await rm(dir, { recursive: true });
  }
}
