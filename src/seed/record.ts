import * as v from 'valibot';
import { fail } from '../util/errors.js';
import { readState, updateState } from '../util/state.js';

/**
 * What `lab seed` created, in the `seed` section of .lab/state.json: so that a re-run keeps
 * it, a name clash with something lab did not create is refused, and `--remove` deletes
 * exactly this and nothing else.
 *
 * Every creation is recorded as `pending` before the API call and as `done` (with its id)
 * after it. A run killed in between leaves `pending`: the next run adopts the object if
 * GitLab has it (lab made it) and creates it otherwise, so nothing is made twice.
 */
export const KINDS = [
  'users',
  'groups',
  'projects',
  'members',
  'instanceVariables',
  'projectVariables',
  'allowlist',
  'protectedTags',
] as const;
export type Kind = (typeof KINDS)[number];

const Entry = v.object({
  state: v.picklist(['pending', 'done']),
  id: v.optional(v.number()),
  /** Projects: the template, and the files it pushed (a reset removes those the template lost since). */
  template: v.optional(v.string()),
  files: v.optional(v.array(v.string())),
});
export type Entry = v.InferOutput<typeof Entry>;

const SeedRecordSchema = v.object({
  version: v.literal(1),
  ...Object.fromEntries(KINDS.map((k) => [k, v.optional(v.record(v.string(), Entry), {})])),
  /** Attendee usernames in the order they joined: later runs keep seeding them. */
  attendees: v.optional(v.array(v.string()), []),
}) as unknown as v.GenericSchema<unknown, SeedRecord>;

export type SeedRecord = { version: 1; attendees: string[] } & { [K in Kind]: Record<string, Entry> };

const SECTION = 'seed';

/** Keys of the kinds that have no path of their own. */
export const keyOf = {
  member: (group: string, username: string) => `${group}#${username}`,
  projectVariable: (project: string, key: string) => `${project}#${key}`,
  allow: (target: string, source: string) => `${target}<${source}`,
  protectedTag: (project: string, pattern: string) => `${project}#${pattern}`,
};

export function emptyRecord(): SeedRecord {
  return { version: 1, attendees: [], ...(Object.fromEntries(KINDS.map((k) => [k, {}])) as { [K in Kind]: Record<string, Entry> }) };
}

export async function readSeedRecord(stateDir: string): Promise<SeedRecord> {
  const raw = (await readState(stateDir))[SECTION];
  if (raw === undefined) return emptyRecord();
  const parsed = v.safeParse(SeedRecordSchema, raw);
  if (!parsed.success) {
    throw fail(
      `the "${SECTION}" section of ${stateDir}/state.json is not what lab wrote`,
      'It records what `lab seed` created; restore it from a backup, or delete the section and remove the seeded groups, projects and users by hand.',
    );
  }
  return parsed.output;
}

/**
 * The record of one run: changed in memory, written to disk in order. Writes coalesce, so
 * a class of 30 does not mean hundreds of rewrites of state.json; `flush` resolves once a
 * write that holds every change made before the call has landed.
 */
export class SeedStore {
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private queued: Promise<void> | undefined;

  private constructor(
    private readonly stateDir: string,
    readonly record: SeedRecord,
  ) {}

  static async open(stateDir: string): Promise<SeedStore> {
    return new SeedStore(stateDir, await readSeedRecord(stateDir));
  }

  get(kind: Kind, key: string): Entry | undefined {
    return this.record[kind][key];
  }

  set(kind: Kind, key: string, entry: Entry): void {
    this.record[kind][key] = entry;
    this.dirty = true;
  }

  delete(kind: Kind, key: string): void {
    if (!(key in this.record[kind])) return;
    delete this.record[kind][key];
    this.dirty = true;
  }

  addAttendees(names: string[]): void {
    const fresh = names.filter((n) => !this.record.attendees.includes(n));
    if (fresh.length === 0) return;
    this.record.attendees.push(...fresh);
    this.dirty = true;
  }

  /** Whether the record holds nothing at all (after `--remove`). */
  isEmpty(): boolean {
    return this.record.attendees.length === 0 && KINDS.every((k) => Object.keys(this.record[k]).length === 0);
  }

  flush(): Promise<void> {
    this.queued ??= this.writing.then(async () => {
      this.queued = undefined;
      if (!this.dirty) return;
      this.dirty = false;
      const snapshot = JSON.parse(JSON.stringify(this.record)) as SeedRecord;
      await updateState(this.stateDir, SECTION, () => (this.isEmptyRecord(snapshot) ? undefined : snapshot));
    });
    this.writing = this.queued;
    return this.queued;
  }

  /** Starts a write without waiting for it; a failure surfaces at the next awaited `flush`. */
  flushSoon(): void {
    this.flush().catch(() => undefined);
  }

  private isEmptyRecord(r: SeedRecord): boolean {
    return r.attendees.length === 0 && KINDS.every((k) => Object.keys(r[k]).length === 0);
  }
}
