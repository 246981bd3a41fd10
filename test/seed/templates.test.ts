import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { attendeeGroup, desiredSeed } from '../../src/seed/desired.js';
import { parseWorkshop } from '../../src/seed/parse.js';
import { builtinWorkshopText, TEMPLATE_NAMES, templateSource } from '../../src/seed/templates.js';
import { SCHEMA_DIR } from '../helpers/stack.js';

const FACTS = {
  gitlabHost: 'gitlab.test',
  registry: 'registry.test',
  caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
};

async function builtin(attendees: string[] = [], lesson: 'job-token' | undefined = undefined) {
  const w = parseWorkshop(await builtinWorkshopText(), 'built-in workshop');
  return desiredSeed(w, FACTS, { attendees, lesson, attendeesWhere: ['attendees'] });
}

function ciValidator() {
  const schema = JSON.parse(readFileSync(`${SCHEMA_DIR}gitlab-ci.json`, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  return new Ajv({ strict: false, allErrors: true, logger: false }).compile(schema);
}

// The keywords the GitLab double implements (fixtures/README.md), so a template never relies on more.
const ROOT_KEYS = new Set(['stages', 'default', 'image', 'services', 'before_script', 'variables']);
const JOB_KEYS = new Set(['stage', 'image', 'services', 'before_script', 'script', 'variables', 'tags', 'rules', 'only', 'except']);
const IMAGES = new Set(['golang:1.24-bookworm', 'docker:28.3.3', 'docker:28.3.3-dind']);

describe('the built-in templates', () => {
  it('every template has a .gitlab-ci.yml, a README and a go.mod for Go 1.19, which Debian builds', async () => {
    for (const name of TEMPLATE_NAMES) {
      const files = await templateSource(name);
      expect(Object.keys(files), name).toEqual(expect.arrayContaining(['.gitlab-ci.yml', 'README.md', 'go.mod']));
      expect(files['go.mod'], name).toMatch(/^module \{\{lab:import_path\}\}\n\ngo 1\.19\n$/);
    }
  });

  it('render completely, with the lab host in the module paths', async () => {
    const desired = await builtin(['ada']);
    const all = desired.copies.flatMap((c) => c.projects);
    expect(all.map((p) => p.path)).toEqual(['modules/mail', 'services/sendbox', 'ada-workshop/mail', 'ada-workshop/sendbox']);
    for (const p of all) for (const [path, text] of Object.entries(p.files)) expect(text, `${p.path} ${path}`).not.toMatch(/\{\{lab:/);
    const sendbox = all[1]?.files ?? {};
    expect(all[0]?.files['go.mod']).toContain('module gitlab.test/modules/mail\n');
    expect(sendbox['main.go']).toContain('mail "gitlab.test/modules/mail"');
    expect(sendbox['go.work']).toMatch(/use \(\n\t\.\n\t\.\.\/mail\n\)/);
    // An attendee's copy imports the attendee's own module.
    expect(all[3]?.files['main.go']).toContain(`mail "gitlab.test/${attendeeGroup('ada')}/mail"`);
    expect(all[3]?.files['go.mod']).toContain(`module gitlab.test/${attendeeGroup('ada')}/sendbox`);
  });

  it('every .gitlab-ci.yml validates against the GitLab CI schema and uses only what the double implements', async () => {
    const validate = ciValidator();
    // The validator itself refuses a broken file.
    expect(validate({ build: { script: 5, stage: ['x'] } })).toBe(false);
    for (const name of TEMPLATE_NAMES) {
      const ci = parse((await templateSource(name))['.gitlab-ci.yml'] ?? '') as Record<string, unknown>;
      expect(validate(ci), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      for (const [key, value] of Object.entries(ci)) {
        if (ROOT_KEYS.has(key)) continue;
        const job = value as Record<string, unknown>;
        for (const k of Object.keys(job)) expect(JOB_KEYS.has(k), `${name} ${key}.${k}`).toBe(true);
        expect(IMAGES.has(String(job.image)), `${name} ${key} image ${String(job.image)}`).toBe(true);
        for (const rule of (job.rules as { if?: string }[] | undefined) ?? []) expect(rule.if).toMatch(/^\$CI_COMMIT_(TAG|BRANCH)\b/);
        expect(Array.isArray(job.script), `${name} ${key}.script`).toBe(true);
      }
    }
  });

  it('sendbox builds on every branch, pushes the ref slug, retags latest on tags, and trusts the lab CA', async () => {
    const ci = parse((await templateSource('go-service'))['.gitlab-ci.yml'] ?? '') as Record<
      string,
      { script: string[]; rules?: unknown; before_script?: string[] }
    >;
    const build = ci.build?.script.join('\n') ?? '';
    expect(ci.build?.rules).toBeUndefined();
    expect(build).toContain('docker push "$CI_REGISTRY_IMAGE:$CI_COMMIT_REF_SLUG"');
    expect(build).toContain('--add-host "$CI_SERVER_HOST:$GITLAB_IP"');
    expect(build).toContain('cp "$CA_CERTIFICATE" ca.crt');
    expect(build).toContain('--password-stdin');
    expect(ci.release?.rules).toEqual([{ if: '$CI_COMMIT_TAG' }]);
    expect(ci.release?.script.join('\n')).toContain('"$CI_REGISTRY_IMAGE:latest"');
    expect(ci.test?.before_script?.join('\n')).toContain('gitlab-ci-token password %s');
    const dockerfile = (await templateSource('go-service')).Dockerfile ?? '';
    expect(
      dockerfile
        .split('\n')
        .filter((l) => l.startsWith('FROM '))
        .at(-1),
    ).toBe('FROM scratch');
    expect(dockerfile).toContain('CGO_ENABLED=0');
  });

  it('sets the job token allowlist entry, except for the job-token lesson', async () => {
    const normal = await builtin(['ada']);
    expect(normal.copies.map((c) => c.allow.map((a) => `${a.target} < ${a.source}`))).toEqual([
      ['modules/mail < services/sendbox'],
      ['ada-workshop/mail < ada-workshop/sendbox'],
    ]);
    const lesson = await builtin(['ada'], 'job-token');
    expect(lesson.copies.flatMap((c) => c.allow)).toEqual([]);
  });

  it('makes the lab CA a file variable and GOPRIVATE the lab host', async () => {
    const desired = await builtin();
    expect(desired.instanceVariables).toEqual([
      expect.objectContaining({ key: 'CA_CERTIFICATE', type: 'file', value: FACTS.caPem, masked: false }),
    ]);
    expect(desired.copies[0]?.projects[1]?.variables).toEqual([
      expect.objectContaining({ key: 'GOPRIVATE', value: 'gitlab.test', type: 'env_var' }),
    ]);
    expect(desired.copies[0]?.projects.map((p) => p.protectedTags)).toEqual([['v*'], ['v*']]);
  });

  it('gives each attendee a user, a group and a membership', async () => {
    const desired = await builtin(['ada', 'grace']);
    expect(desired.copies.map((c) => c.id)).toEqual(['workshop', 'ada', 'grace']);
    expect(desired.copies[2]).toMatchObject({
      user: { username: 'grace', email: 'grace@gitlab.test' },
      groups: [{ path: 'grace-workshop', visibility: 'private' }],
      members: [{ group: 'grace-workshop', username: 'grace' }],
    });
    expect(desired.copies[2]?.projects[1]?.uses).toEqual(['grace-workshop/mail']);
  });
});
