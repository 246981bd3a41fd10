import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { fail, UsageError } from '../util/errors.js';
import { readSecretFile, writeSecretFile } from '../util/secret-files.js';
import { registerSecret } from '../util/secrets.js';
import { MAX_ATTENDEES, username } from './format.js';

/**
 * Attendees: one GitLab user each, with a strong random password kept in
 * `.lab/secrets/attendees.csv` (0600). The file is written before a user is created, so a
 * password is never only in GitLab, and `lab seed --handout` prints it for the class.
 */
export interface Attendee {
  username: string;
  password: string;
  group: string;
}

/** `--attendees 5` or `--attendees ada,grace`: a count or a list of usernames. */
export function parseAttendeesOption(text: string): number | string[] {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n > MAX_ATTENDEES)
      throw new UsageError(`--attendees: ${n} attendees is more than the maximum of ${MAX_ATTENDEES}`, 'Split the class across two labs.');
    return n;
  }
  const names = trimmed.split(',').map((s) => s.trim());
  for (const name of names) {
    const r = v.safeParse(username, name);
    if (!r.success)
      throw new UsageError(
        `--attendees: "${name}" ${r.issues[0].message}`,
        'Give a number (`--attendees 5`) or usernames (`--attendees ada,grace`).',
      );
  }
  if (new Set(names).size !== names.length) throw new UsageError('--attendees: a username is listed twice');
  if (names.length > MAX_ATTENDEES)
    throw new UsageError(`--attendees: ${names.length} attendees is more than the maximum of ${MAX_ATTENDEES}`);
  return names;
}

/** The usernames a count or list stands for: `attendee01`, `attendee02`, … for a count. */
export function attendeeNames(spec: number | string[]): string[] {
  if (Array.isArray(spec)) return [...spec];
  return Array.from({ length: spec }, (_, i) => `attendee${String(i + 1).padStart(2, '0')}`);
}

// No 0/O, 1/l/I: passwords end up on paper.
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** 18 characters from 57: about 105 bits, from node:crypto, uniform by rejection sampling. */
export function generatePassword(): string {
  const out: string[] = [];
  const limit = 256 - (256 % ALPHABET.length);
  while (out.length < 18) {
    for (const b of randomBytes(32)) if (b < limit && out.length < 18) out.push(ALPHABET[b % ALPHABET.length] ?? '');
  }
  return registerSecret(out.join(''));
}

const HEADER = 'username,password,group';

export async function readAttendees(file: string): Promise<Attendee[]> {
  const text = await readSecretFile(file);
  if (text === undefined) return [];
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines[0] !== HEADER)
    throw fail(
      `${file} is not what lab wrote (its first line should be "${HEADER}")`,
      'Restore it from a backup; it holds the only copy of the attendee passwords.',
    );
  return lines.slice(1).map((line, i) => {
    const [name = '', password = '', group = ''] = line.split(',');
    if (!name || !password || !group) throw fail(`${file}:${i + 2}: expected username,password,group`, 'Restore the file from a backup.');
    registerSecret(password);
    return { username: name, password, group };
  });
}

export async function writeAttendees(file: string, list: Attendee[]): Promise<void> {
  await writeSecretFile(file, `${[HEADER, ...list.map((a) => `${a.username},${a.password},${a.group}`)].join('\n')}\n`);
}

/** The sheet `lab seed --handout` prints: one block per attendee, to cut out. */
export function handout(list: Attendee[], gitlabUrl: string): string[] {
  const lines: string[] = [];
  for (const a of list) {
    lines.push(
      '----------------------------------------',
      `GitLab     ${gitlabUrl}`,
      `User       ${a.username}`,
      `Password   ${a.password}`,
      `Your group ${gitlabUrl}/${a.group}`,
    );
  }
  if (lines.length > 0) lines.push('----------------------------------------');
  return lines;
}
