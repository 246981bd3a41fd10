import type { LabModel } from '../config/model.js';
import type { WriteResult } from '../util/fs.js';

// Signatures only, until issue #3's implementation replaces this file.
export interface RenderInputs {
  /** The runner's authentication token once the bootstrap created it; empty before. */
  runnerToken?: string | undefined;
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

/** Pure: the model (and bootstrap inputs) in, every file lab renders out. */
export function renderFiles(_model: LabModel, _inputs: RenderInputs = {}): RenderedFile[] {
  return [];
}

/** Writes rendered files, touching only those whose bytes changed. */
export async function writeRendered(_files: RenderedFile[]): Promise<WrittenFile[]> {
  return [];
}
