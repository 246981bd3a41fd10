import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readOptional } from '../util/fs.js';
import type { ContainerSpec } from './spec.js';

/** Bump when the meaning of the hash input changes, so old containers are recreated once. */
const HASH_VERSION = 1;

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of each `restartOn` file's bytes; `null` for a file that does not exist (yet). */
export async function restartOnDigests(spec: ContainerSpec, labDir: string): Promise<Record<string, string | null>> {
  const entries = await Promise.all(
    spec.restartOn.map(async (rel) => {
      const content = await readOptional(join(labDir, rel));
      return [rel, content === undefined ? null : sha256(content)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * The config hash of one service: the spec (non-secret by construction: env files are
 * referenced by path, never by content), the lab folder (bind sources are absolute), and
 * the content of the files the service reads only at start. Pure, for the planner's tests.
 */
export function hashOf(
  spec: ContainerSpec,
  labDir: string,
  digests: Record<string, string | null>,
  labels: Record<string, string> = {},
): string {
  // Extra labels cannot change in place; without any, the hash stays what it always was.
  const extra = Object.keys(labels).length > 0 ? { labels } : {};
  return sha256(canonicalJson({ v: HASH_VERSION, labDir, spec, files: digests, ...extra }));
}

export async function configHash(spec: ContainerSpec, labDir: string, labels: Record<string, string> = {}): Promise<string> {
  return hashOf(spec, labDir, await restartOnDigests(spec, labDir), labels);
}

/** The network's settings that cannot change in place; a change recreates the network. */
export function networkHash(net: { subnet: string; gateway: string }): string {
  return sha256(canonicalJson({ v: HASH_VERSION, subnet: net.subnet, gateway: net.gateway }));
}
