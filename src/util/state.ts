import { join } from 'node:path';
import { fail } from './errors.js';
import { atomicWrite, readTextOptional } from './fs.js';

/**
 * `.lab/state.json`: what lab did outside the lab folder (trust stores, hosts file)
 * and must be able to undo exactly. Each feature owns one top-level section.
 */
export type LabState = Record<string, unknown>;

export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export async function readState(stateDir: string): Promise<LabState> {
  const file = stateFile(stateDir);
  const text = await readTextOptional(file);
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as LabState;
  } catch {
    // fall through to the error below
  }
  throw fail(
    `${file} is corrupt`,
    'It records what lab installed outside this folder; restore it from a backup or delete it after checking `lab trust --check`.',
  );
}

/** Reads, lets `update` change one section, and writes back atomically (mode 0600). */
export async function updateState<T>(stateDir: string, section: string, update: (current: T | undefined) => T | undefined): Promise<void> {
  const state = await readState(stateDir);
  const next = update(state[section] as T | undefined);
  if (next === undefined) delete state[section];
  else state[section] = next;
  await atomicWrite(stateFile(stateDir), Buffer.from(`${JSON.stringify(state, null, 2)}\n`), 0o600);
}
