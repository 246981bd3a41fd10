import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSeedRecord, SeedStore } from '../../src/seed/record.js';
import { updateState } from '../../src/util/state.js';
import { tempDir } from '../helpers/tmp.js';

describe('the seed record in .lab/state.json', () => {
  it('is empty at first, and keeps other sections of state.json', async () => {
    const dir = await tempDir();
    await updateState(dir, 'trust', () => ({ system: true }));
    const store = await SeedStore.open(dir);
    expect(store.isEmpty()).toBe(true);
    store.set('groups', 'modules', { state: 'pending' });
    await store.flush();
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(state.trust).toEqual({ system: true });
    expect(state.seed.groups).toEqual({ modules: { state: 'pending' } });
    expect((await stat(join(dir, 'state.json'))).mode & 0o777).toBe(0o600);
  });

  it('coalesces writes, and every flush lands what came before it', async () => {
    const dir = await tempDir();
    const store = await SeedStore.open(dir);
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      store.set('users', `u${i}`, { state: 'done', id: i });
      flushes.push(store.flush());
    }
    await Promise.all(flushes);
    const record = await readSeedRecord(dir);
    expect(Object.keys(record.users)).toHaveLength(50);
    expect(record.users.u49).toEqual({ state: 'done', id: 49 });
  });

  it('drops the section once everything is removed', async () => {
    const dir = await tempDir();
    const store = await SeedStore.open(dir);
    store.set('projects', 'a/b', { state: 'done', id: 3, template: 'go-module', files: ['go.mod'] });
    store.addAttendees(['ada']);
    await store.flush();
    store.delete('projects', 'a/b');
    store.record.attendees = [];
    store.set('users', 'x', { state: 'done' });
    store.delete('users', 'x');
    await store.flush();
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(state.seed).toBeUndefined();
  });

  it('refuses a damaged record instead of guessing', async () => {
    const dir = await tempDir();
    await updateState(dir, 'seed', () => ({ version: 1, groups: { a: { state: 'maybe' } } }));
    await expect(readSeedRecord(dir)).rejects.toThrow(/not what lab wrote/);
  });
});
