import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attendeeNames, generatePassword, handout, parseAttendeesOption, readAttendees, writeAttendees } from '../../src/seed/attendees.js';
import { redact } from '../../src/util/secrets.js';
import { tempDir } from '../helpers/tmp.js';

describe('attendees', () => {
  it('takes a count or a list of usernames', () => {
    expect(parseAttendeesOption('3')).toBe(3);
    expect(attendeeNames(3)).toEqual(['attendee01', 'attendee02', 'attendee03']);
    expect(parseAttendeesOption('ada, grace')).toEqual(['ada', 'grace']);
    expect(() => parseAttendeesOption('100')).toThrow(/more than the maximum of 99/);
    expect(() => parseAttendeesOption('ada,ada')).toThrow(/listed twice/);
    expect(() => parseAttendeesOption('x')).toThrow(/lowercase username/);
  });

  it('get strong random passwords, which lab never prints by accident', () => {
    const passwords = Array.from({ length: 200 }, generatePassword);
    expect(new Set(passwords).size).toBe(200);
    for (const p of passwords) {
      expect(p).toMatch(/^[A-HJ-NP-Za-km-z2-9]{18}$/);
      expect(redact(`password ${p}`)).toBe('password [redacted]');
    }
    // Every character of the alphabet turns up: the choice is not skewed to a few.
    expect(new Set(passwords.join('')).size).toBe(57);
  });

  it('live in a 0600 CSV file, and the handout shows URL, user and password', async () => {
    const file = join(await tempDir(), 'secrets', 'attendees.csv');
    const list = [{ username: 'ada', password: generatePassword(), group: 'ada-workshop' }];
    await writeAttendees(file, list);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(`username,password,group\nada,${list[0]?.password},ada-workshop\n`);
    expect(await readAttendees(file)).toEqual(list);
    const sheet = handout(list, 'https://gitlab.test').join('\n');
    expect(sheet).toContain('GitLab     https://gitlab.test');
    expect(sheet).toContain('User       ada');
    expect(sheet).toContain(`Password   ${list[0]?.password}`);
    expect(sheet).toContain('https://gitlab.test/ada-workshop');
  });
});
