import { mkdir, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LabModel } from '../config/model.js';
import { type WriteResult, writeIfChanged } from '../util/fs.js';
import { composeFile } from './compose.js';
import { jobCertsDirCa, runnerConfig } from './runner.js';
import { gitlabService, runnerService, traefikService } from './services.js';
import { traefikDynamic, traefikStatic } from './traefik.js';

export interface RenderInputs {
  /** The runner's authentication token once the bootstrap created it; empty before. */
  runnerToken?: string | undefined;
  /** The CA certificate (PEM), once `lab certs` minted it; jobs get a copy in a certs.d folder. */
  caCert?: string | undefined;
}

export interface RenderedFile {
  /** Absolute path. */
  path: string;
  content: string;
  mode: number;
}

export interface WrittenFile {
  path: string;
  result: WriteResult;
}

const PUBLIC = 0o644;
const PRIVATE = 0o600;

/**
 * Pure: the model (and bootstrap inputs) in, every file lab renders out, in a fixed
 * order. No clock, no environment, no file system: the same model renders the same bytes.
 */
export function renderFiles(model: LabModel, inputs: RenderInputs = {}): RenderedFile[] {
  const p = model.paths;
  return [
    { path: p.composeFiles.traefik, content: composeFile(model, traefikService(model)), mode: PUBLIC },
    { path: p.composeFiles.gitlab, content: composeFile(model, gitlabService(model)), mode: PUBLIC },
    { path: p.composeFiles.runner, content: composeFile(model, runnerService(model)), mode: PUBLIC },
    { path: p.traefikStatic, content: traefikStatic(model), mode: PUBLIC },
    { path: p.traefikDynamic, content: traefikDynamic(model), mode: PUBLIC },
    { path: p.runnerConfig, content: runnerConfig(model, inputs.runnerToken ?? ''), mode: PRIVATE },
    ...(inputs.caCert === undefined ? [] : [{ path: jobCertsDirCa(model), content: inputs.caCert, mode: PUBLIC }]),
  ];
}

/** Writes rendered files, touching only those whose bytes changed. */
export async function writeRendered(files: RenderedFile[]): Promise<WrittenFile[]> {
  const written: WrittenFile[] = [];
  for (const file of files) {
    // Folders of private files (.lab/runner) are created private as well.
    if (file.mode === PRIVATE) await mkdir(dirname(file.path), { recursive: true, mode: 0o700 });
    written.push({ path: file.path, result: await writeIfChanged(file.path, file.content, { mode: file.mode }) });
  }
  await pruneJobCerts(files);
  return written;
}

/**
 * The jobs' certs.d tree is lab's alone; after a change of host or port, the folder for
 * the old `registry[:port]` would linger and keep trusting the CA there. Only folders
 * holding nothing but lab's `ca.crt` are removed.
 */
async function pruneJobCerts(files: RenderedFile[]): Promise<void> {
  const current = files.find((f) => basename(f.path) === 'ca.crt' && basename(dirname(dirname(f.path))) === 'certs.d');
  if (!current) return;
  const root = dirname(dirname(current.path));
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const dir = join(root, entry.name);
    if (!entry.isDirectory() || dir === dirname(current.path)) continue;
    const inside = await readdir(dir);
    if (inside.length === 1 && inside[0] === 'ca.crt') await rm(dir, { recursive: true });
  }
}
