import * as v from 'valibot';
import { fail } from '../../util/errors.js';
import { readState, updateState } from '../../util/state.js';

/**
 * What `lab trust` installed where, in `.lab/state.json` section `trust`. Entries are
 * data, never commands: `--uninstall` derives the commands from the kind, so an edited
 * state file cannot make lab run something else as root.
 */
const common = {
  /** SHA-256 (hex) of the CA that was installed. */
  fingerprint256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  /** File stem / nickname / alias used in the store. */
  nick: v.pipe(v.string(), v.minLength(1)),
  installedAt: v.string(),
};

const absolute = v.pipe(v.string(), v.regex(/^(\/|[A-Za-z]:\\)/, 'must be an absolute path'));
const sha1 = v.pipe(v.string(), v.regex(/^[0-9A-F]{40}$/));

export const trustInstallSchema = v.variant('kind', [
  v.object({
    ...common,
    kind: v.literal('system-anchor'),
    family: v.picklist(['debian', 'fedora', 'arch', 'suse']),
    file: absolute,
    createdDirs: v.array(absolute),
  }),
  v.object({ ...common, kind: v.literal('system-keychain'), keychain: absolute, sha1 }),
  v.object({ ...common, kind: v.literal('system-windows'), sha1 }),
  v.object({ ...common, kind: v.literal('nss'), db: v.pipe(v.string(), v.regex(/^(sql|dbm):/)) }),
  v.object({ ...common, kind: v.literal('java'), keytool: absolute, keystore: absolute }),
  v.object({ ...common, kind: v.literal('docker'), file: absolute, createdDirs: v.array(absolute) }),
]);

export type TrustInstall = v.InferOutput<typeof trustInstallSchema>;
export type TrustStore = 'system' | 'nss' | 'java' | 'docker';

const sectionSchema = v.object({ installs: v.array(trustInstallSchema) });
type TrustSection = v.InferOutput<typeof sectionSchema>;

export const TRUST_SECTION = 'trust';

export function storeOf(entry: TrustInstall): TrustStore {
  if (entry.kind.startsWith('system-')) return 'system';
  return entry.kind as Exclude<TrustInstall['kind'], `system-${string}`>;
}

/** Where the entry lives; two entries with the same key are the same installation. */
export function locationOf(entry: TrustInstall): string {
  switch (entry.kind) {
    case 'system-anchor':
    case 'docker':
      return entry.file;
    case 'system-keychain':
      return `${entry.keychain} (${entry.nick})`;
    case 'system-windows':
      return `CurrentUser\\Root (${entry.nick})`;
    case 'nss':
      return `${entry.db} (${entry.nick})`;
    case 'java':
      return `${entry.keystore} (${entry.nick})`;
  }
}

export async function readTrustRecord(stateDir: string): Promise<TrustInstall[]> {
  const state = await readState(stateDir);
  const section = state[TRUST_SECTION];
  if (section === undefined) return [];
  const parsed = v.safeParse(sectionSchema, section);
  if (!parsed.success) {
    throw fail(
      `the "${TRUST_SECTION}" section of ${stateDir}/state.json is not what lab wrote`,
      'Restore it from a backup, or remove the section after undoing the installations by hand (see `lab trust --check`).',
    );
  }
  return parsed.output.installs;
}

/** Adds or replaces (same location) one installation. */
export async function recordInstall(stateDir: string, entry: TrustInstall): Promise<void> {
  await updateState<TrustSection>(stateDir, TRUST_SECTION, (current) => {
    const installs = (current?.installs ?? []).filter((e) => locationOf(e) !== locationOf(entry));
    return { installs: [...installs, entry] };
  });
}

/** Drops one installation; the section goes away with the last one. */
export async function forgetInstall(stateDir: string, entry: TrustInstall): Promise<void> {
  await updateState<TrustSection>(stateDir, TRUST_SECTION, (current) => {
    const installs = (current?.installs ?? []).filter((e) => locationOf(e) !== locationOf(entry));
    return installs.length === 0 ? undefined : { installs };
  });
}
