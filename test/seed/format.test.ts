import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem } from '../../src/config/parse.js';
import { parseWorkshop } from '../../src/seed/parse.js';
import { builtinWorkshopText } from '../../src/seed/templates.js';
import { runLab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function problems(text: string, file = 'workshop.yml', base?: string[]): ConfigProblem[] {
  try {
    parseWorkshop(text, file, base ? { base } : {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the workshop to be refused');
}

const GOOD = `groups:
  - path: modules
  - path: services
projects:
  - path: modules/mail
    template: go-module
    allow: [services/sendbox]
  - path: services/sendbox
    template: go-service
    with: { module: modules/mail }
variables:
  - { key: CA_CERTIFICATE, type: file, from: lab-ca }
`;

describe('the workshop file', () => {
  it('the built-in workshop is a valid workshop file', async () => {
    const w = parseWorkshop(await builtinWorkshopText(), 'built-in workshop');
    expect(w.data.groups.map((g) => g.path)).toEqual(['modules', 'services']);
    expect(w.data.projects.map((p) => [p.path, p.template])).toEqual([
      ['modules/mail', 'go-module'],
      ['services/sendbox', 'go-service'],
    ]);
    expect(w.data.projects[0]?.allow).toEqual(['services/sendbox']);
    expect(w.data.variables).toEqual([{ key: 'CA_CERTIFICATE', from: 'lab-ca', type: 'file', protected: false, masked: false }]);
    expect(w.data.attendees).toBe(0);
  });

  it('fills in the defaults', () => {
    const w = parseWorkshop(GOOD, 'w.yml');
    expect(w.data.projects[1]).toMatchObject({
      visibility: 'private',
      variables: [],
      allow: [],
      protectedTags: [],
      with: { module: 'modules/mail' },
    });
  });

  it.each([
    [
      'an unknown template',
      GOOD.replace('template: go-module', 'template: go-modul'),
      6,
      'projects[0].template',
      /unknown template "go-modul" \(did you mean "go-module"\?\)/,
    ],
    ['a misspelt key', GOOD.replace('    allow:', '    alow:'), 7, 'projects[0].alow', /unknown key "alow" \(did you mean "allow"\?\)/],
    ['a missing template', GOOD.replace('    template: go-service\n', ''), 8, 'projects[1].template', /is required/],
    ['a project outside the groups', GOOD.replace('  - path: services\n', ''), 7, 'projects[1].path', /its group "services" is not listed/],
    ['a bad project path', GOOD.replace('path: modules/mail', 'path: Modules/Mail'), 5, 'projects[0].path', /must be "<group>\/<project>"/],
    [
      'a parameter naming no project',
      GOOD.replace('module: modules/mail', 'module: modules/post'),
      10,
      'projects[1].with.module',
      /"modules\/post" is not a project/,
    ],
    [
      'a parameter of the wrong template',
      GOOD.replace('module: modules/mail', 'module: services/sendbox'),
      10,
      'projects[1].with.module',
      /must name another project/,
    ],
    [
      'an unknown parameter',
      GOOD.replace('with: { module: modules/mail }', 'with: { module: modules/mail, db: modules/mail }'),
      10,
      'projects[1].with.db',
      /has no parameter "db"/,
    ],
    [
      'an allowlist entry naming no project',
      GOOD.replace('allow: [services/sendbox]', 'allow: [services/nope]'),
      7,
      'projects[0].allow[0]',
      /"services\/nope" is not a project/,
    ],
    [
      'a variable with value and from',
      GOOD.replace('from: lab-ca', 'from: lab-ca, value: x'),
      12,
      'variables[0]',
      /exactly one of "value" and "from"/,
    ],
    ['a bad variable key', GOOD.replace('key: CA_CERTIFICATE', 'key: CA-CERT'), 12, 'variables[0].key', /letters, digits and "_"/],
    ['a masked CA', GOOD.replace('type: file,', 'type: file, masked: true,'), 12, 'variables[0].masked', /cannot be masked/],
    ['too many attendees', `${GOOD}attendees: 100\n`, 13, 'attendees', /100 attendees is more than the maximum of 99/],
    ['a bad attendee name', `${GOOD}attendees: [ada, Grace]\n`, 13, 'attendees[1]', /lowercase username/],
    ['an attendee listed twice', `${GOOD}attendees: [ada, ada]\n`, 13, 'attendees[1]', /listed twice/],
    [
      'a project listed twice',
      GOOD.replace('variables:', '  - { path: modules/mail, template: go-module }\nvariables:'),
      11,
      'projects[2].path',
      /already listed at projects\[0\]/,
    ],
  ])('refuses %s, naming file, line and field', (_name, text, line, field, message) => {
    const [first] = problems(text);
    expect(first).toMatchObject({ file: 'workshop.yml', line, field });
    expect(first?.message).toMatch(message);
  });

  it('refuses two projects of one name in different groups: attendees get them in one group', () => {
    const text = GOOD.replace('path: services/sendbox', 'path: services/mail').replace('[services/sendbox]', '[services/mail]');
    expect(
      problems(text)
        .map((p) => p.message)
        .join('\n'),
    ).toMatch(/project name "mail" is also used by projects\[0\]/);
  });

  it('reports a YAML syntax error with its position', () => {
    const [first] = problems('groups:\n  - path: a\n   bad: [\n');
    expect(first).toMatchObject({ file: 'workshop.yml', line: expect.any(Number) });
    expect(first?.message).toMatch(/YAML syntax error/);
  });

  it('names the seed section of lab.yml in fields and lines', () => {
    const labYml = `name: lab\nseed:\n${GOOD.replace(/^/gm, '  ').replace('template: go-module', 'template: go-modle')}`;
    const [first] = problems(labYml, 'lab.yml', ['seed']);
    expect(first).toMatchObject({ file: 'lab.yml', line: 8, field: 'seed.projects[0].template' });
  });

  it('lab seed refuses a malformed workshop file with exit code 2 before it needs a lab', async () => {
    const dir = await tempDir();
    const file = join(dir, 'workshop.yml');
    await writeFile(file, GOOD.replace('template: go-service', 'template: go-servce'));
    const run = await runLab(['--dir', dir, 'seed', '--file', file]);
    expect(run.exitCode, run.all).toBe(2);
    expect(run.stderr).toMatch(/workshop\.yml:9:15: projects\[1\]\.template: unknown template "go-servce" \(did you mean "go-service"\?\)/);
  });

  it('lab seed refuses a bad seed: section of lab.yml with exit code 2', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'lab.yml'), 'seed:\n  groups:\n    - path: a\n  projects:\n    - path: a/b\n      template: nope\n');
    const run = await runLab(['--dir', dir, 'seed']);
    expect(run.exitCode, run.all).toBe(2);
    expect(run.stderr).toMatch(/lab\.yml:6:17: seed\.projects\[0\]\.template: unknown template "nope"/);
  });

  it('lab seed refuses --attendees beyond the maximum, and a bad name, with exit code 2', async () => {
    const dir = await tempDir();
    const many = await runLab(['--dir', dir, 'seed', '--attendees', '100']);
    expect(many.exitCode).toBe(2);
    expect(many.stderr).toMatch(/--attendees: 100 attendees is more than the maximum of 99/);
    const bad = await runLab(['--dir', dir, 'seed', '--attendees', 'ada,Bob']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--attendees: "Bob" must be a lowercase username/);
  });
});
