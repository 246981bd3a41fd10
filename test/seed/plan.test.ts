import { describe, expect, it } from 'vitest';
import { desiredSeed } from '../../src/seed/desired.js';
import { parseWorkshop } from '../../src/seed/parse.js';
import { COMMAND_LINE_ATTENDEES, decide, intents, type Observed, planSeed } from '../../src/seed/plan.js';
import { emptyRecord } from '../../src/seed/record.js';
import { builtinWorkshopText } from '../../src/seed/templates.js';

const facts = { gitlabHost: 'gitlab.test', registry: 'registry.test', caPem: 'PEM' };

async function setup(attendees: string[] = []) {
  const w = parseWorkshop(await builtinWorkshopText(), 'built-in workshop');
  const desired = await desiredSeed(w, facts, { attendees, lesson: undefined, attendeesWhere: COMMAND_LINE_ATTENDEES });
  return { w, desired };
}

const nothing = (): Observed => ({ users: new Map(), groups: new Map(), projects: new Map(), instanceVariables: new Map() });

describe('planning a seed run', () => {
  it('decides from what GitLab has and what lab recorded', () => {
    expect(decide(undefined, undefined)).toEqual({ action: 'create', recreate: false });
    expect(decide({ state: 'done', id: 4 }, undefined)).toEqual({ action: 'create', recreate: true });
    expect(decide({ state: 'pending' }, undefined)).toEqual({ action: 'create', recreate: false });
    expect(decide({ state: 'pending' }, 9)).toEqual({ action: 'adopt', id: 9 });
    expect(decide({ state: 'done', id: 9 }, 9)).toEqual({ action: 'keep', id: 9 });
    expect(decide({ state: 'done', id: 9 }, 10)).toBe('clash');
    expect(decide(undefined, 10)).toBe('clash');
  });

  it('creates everything in an empty GitLab, and records the intent first', async () => {
    const { w, desired } = await setup(['ada']);
    const plan = planSeed(w, desired, nothing(), emptyRecord());
    expect(plan.problems).toEqual([]);
    expect(intents(plan).map((i) => `${i.kind} ${i.key}`)).toEqual([
      'users ada',
      'groups modules',
      'groups services',
      'groups ada-workshop',
      'projects modules/mail',
      'projects services/sendbox',
      'projects ada-workshop/mail',
      'projects ada-workshop/sendbox',
      'instanceVariables CA_CERTIFICATE',
    ]);
  });

  it('refuses every name lab did not create, naming the field that asks for it', async () => {
    const { w, desired } = await setup(['ada']);
    const observed = nothing();
    observed.groups.set('services', 31);
    observed.users.set('ada', 7);
    observed.instanceVariables.set('CA_CERTIFICATE', 0);
    const plan = planSeed(w, desired, observed, emptyRecord());
    const text = plan.problems.map((p) => `${p.file}:${p.line ?? '-'}: ${p.field}: ${p.message}`);
    expect(text).toEqual([
      expect.stringMatching(
        /^built-in workshop:\d+: variables\[0\]\.key: the instance CI\/CD variable CA_CERTIFICATE already exists in GitLab and lab did not create it$/,
      ),
      expect.stringMatching(/^built-in workshop:\d+: groups\[1\]\.path: the group "services" already exists/),
      'lab seed:-: --attendees: the user "ada" already exists in GitLab and lab did not create it',
    ]);
  });

  it('keeps what lab made, and refuses a look-alike that replaced it', async () => {
    const { w, desired } = await setup();
    const record = emptyRecord();
    record.groups.modules = { state: 'done', id: 1 };
    record.groups.services = { state: 'done', id: 2 };
    const observed = nothing();
    observed.groups.set('modules', 1);
    observed.groups.set('services', 99);
    const plan = planSeed(w, desired, observed, record);
    expect(plan.groups.get('modules')).toEqual({ action: 'keep', id: 1 });
    expect(plan.problems.map((p) => p.message)).toEqual([
      'the group "services" already exists in GitLab, and it is not the one lab created',
    ]);
  });
});
