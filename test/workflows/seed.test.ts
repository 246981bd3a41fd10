import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_KILL_POINTS } from '../../src/seed/kill-points.js';
import { createAdminToken, type FixtureLab, fixtureLab, fixtureSuite, gitlabApi } from '../helpers/fixture-lab.js';
import { runLabRaw } from '../helpers/gitlab.js';
import { tempDir } from '../helpers/tmp.js';
import { created, encode, gitInfoRefs, inventory, list, seedJson, writeAdminToken } from '../seed/helpers.js';

// `lab seed` against the GitLab double, from the outside: what GitLab holds afterwards, read
// through the API and Git over HTTPS. No runner: pipelines are created and stay pending.
const run = await fixtureSuite();

describe.runIf(run)('lab seed on the fixture GitLab', () => {
  let lab: FixtureLab;
  let token: string;
  const api = (method: string, path: string, json?: unknown) =>
    gitlabApi(lab, method, path, { token, ...(json === undefined ? {} : { json }) });

  beforeAll(async () => {
    lab = await fixtureLab(tempDir, { prefix: 'sd' });
    const up = await lab.up();
    expect(up.exitCode, up.all).toBe(0);
    token = await createAdminToken(lab);
    await writeAdminToken(lab, token);
  }, 240_000);

  afterAll(async () => {
    await lab?.purge();
  });

  it('refuses a malformed workshop and a name clash with exit code 2, and creates nothing', async () => {
    const before = await inventory(lab, token);
    const file = join(lab.dir, 'workshop.yml');
    await writeFile(file, 'groups:\n  - path: modules\nprojects:\n  - path: modules/mail\n    template: go-modul\n');
    const bad = await lab.lab(['seed', '--file', file]);
    expect(bad.exitCode, bad.all).toBe(2);
    expect(bad.stderr).toMatch(/workshop\.yml:5:15: projects\[0\]\.template: unknown template "go-modul"/);

    // A group of the workshop's name that lab did not create: refused before anything is made.
    const foreign = await api('POST', '/groups', { name: 'services', path: 'services' });
    expect(foreign.status).toBe(201);
    const clash = await lab.lab(['seed', '--attendees', '2']);
    expect(clash.exitCode, clash.all).toBe(2);
    expect(clash.stderr).toMatch(
      /built-in workshop:\d+:\d+: groups\[1\]\.path: the group "services" already exists in GitLab and lab did not create it/,
    );
    expect(await inventory(lab, token)).toEqual({ ...before, groups: [...before.groups, 'services'].sort() });
    const state = await readFile(join(lab.dir, '.lab', 'state.json'), 'utf8').catch(() => '{}');
    expect(JSON.parse(state).seed).toBeUndefined();
    // Out of the way again (GitLab 18+ marks it for deletion, which renames it).
    expect((await api('DELETE', `/groups/${(foreign.body as { id: number }).id}`)).status).toBe(202);
  });

  it('seeds the workshop and two attendees: groups, projects with a real commit, variables, allowlist, tags, users', async () => {
    const { run: seeded, json } = await seedJson(lab, ['--attendees', '2']);
    expect(seeded.exitCode, seeded.all).toBe(0);
    const inv = await inventory(lab, token);
    for (const g of ['modules', 'services', 'attendee01-workshop', 'attendee02-workshop']) expect(inv.groups).toContain(g);
    for (const p of ['modules/mail', 'services/sendbox', 'attendee01-workshop/mail', 'attendee02-workshop/sendbox'])
      expect(inv.projects).toContain(p);
    expect(inv.users).toEqual(expect.arrayContaining(['attendee01', 'attendee02']));
    expect(inv.variables).toContain('CA_CERTIFICATE');
    expect(json.attendees.map((a) => a.group)).toEqual(['attendee01-workshop', 'attendee02-workshop']);

    // The module path follows the lab's host; the project holds a commit on main.
    const gomod = await api('GET', `/projects/${encode('modules/mail')}/repository/files/go.mod/raw?ref=main`);
    expect(gomod.body).toBe(`module ${lab.hosts.gitlab}/modules/mail\n\ngo 1.19\n`);
    const main = await api('GET', `/projects/${encode('attendee01-workshop/sendbox')}/repository/files/main.go/raw?ref=main`);
    expect(String(main.body)).toContain(`mail "${lab.hosts.gitlab}/attendee01-workshop/mail"`);

    // CA_CERTIFICATE is a file variable holding the lab CA; GOPRIVATE a project variable.
    const ca = await api('GET', '/admin/ci/variables/CA_CERTIFICATE');
    expect(ca.body).toMatchObject({ variable_type: 'file', value: await readFile(join(lab.dir, 'certs', 'tls', 'ca.pem'), 'utf8') });
    const goprivate = await api('GET', `/projects/${encode('services/sendbox')}/variables/GOPRIVATE`);
    expect(goprivate.body).toMatchObject({ value: lab.hosts.gitlab, variable_type: 'env_var' });

    // modules/mail lets the jobs of services/sendbox in; its release tags are protected.
    const allow = await list<{ path_with_namespace: string }>(lab, token, `/projects/${encode('modules/mail')}/job_token_scope/allowlist`);
    expect(allow.map((p) => p.path_with_namespace)).toContain('services/sendbox');
    const tags = await list<{ name: string }>(lab, token, `/projects/${encode('modules/mail')}/protected_tags`);
    expect(tags.map((t) => t.name)).toEqual(['v*']);

    // The push started a pipeline, as a git push would.
    const pipelines = await list<{ source: string; ref: string }>(lab, token, `/projects/${encode('services/sendbox')}/pipelines`);
    expect(pipelines).toEqual([expect.objectContaining({ ref: 'main' })]);

    // Passwords: 0600, and each one opens its own attendee's repository and no other.
    const csv = join(lab.dir, '.lab', 'secrets', 'attendees.csv');
    expect((await stat(csv)).mode & 0o777).toBe(0o600);
    const rows = (await readFile(csv, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const [ada = [], bob = []] = rows;
    expect(await gitInfoRefs(lab, 'attendee01-workshop/mail', ada[0] ?? '', ada[1] ?? '')).toBe(200);
    expect(await gitInfoRefs(lab, 'attendee01-workshop/mail', bob[0] ?? '', bob[1] ?? '')).not.toBe(200);
    expect(await gitInfoRefs(lab, 'attendee01-workshop/mail', ada[0] ?? '', 'wrong-password-1')).toBe(401);
    expect(seeded.all).not.toContain(ada[1] ?? 'never');

    const handout = await lab.lab(['seed', '--handout']);
    expect(handout.exitCode).toBe(0);
    expect(handout.stdout).toContain(`Password   ${ada[1]}`);
    expect(handout.stdout).toContain(`https://${lab.hosts.gitlab}:${lab.ports.https}/attendee02-workshop`);
  }, 180_000);

  it('a second lab seed creates nothing and says what it kept', async () => {
    const before = await inventory(lab, token);
    const again = await lab.lab(['seed']);
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).not.toMatch(/^\s+created/m);
    expect(again.stdout).toMatch(/kept\s+6 projects: attendee01-workshop\/mail/);
    expect(again.stdout).toMatch(/kept\s+2 users: attendee01, attendee02/);
    expect(await inventory(lab, token)).toEqual(before);
  }, 120_000);

  it('the job-token lesson takes the allowlist entries away; the next lab seed puts them back and runs the pipelines again', async () => {
    const allowlist = async () =>
      (
        await list<{ path_with_namespace: string }>(lab, token, `/projects/${encode('attendee02-workshop/mail')}/job_token_scope/allowlist`)
      ).map((p) => p.path_with_namespace);
    const runs = async () => (await list(lab, token, `/projects/${encode('attendee02-workshop/sendbox')}/pipelines`)).length;
    const before = await runs();
    const { run: lesson, json } = await seedJson(lab, ['--lesson', 'job-token']);
    expect(lesson.exitCode, lesson.all).toBe(0);
    expect(json.items.filter((i) => i.outcome === 'removed').map((i) => i.name)).toContain(
      'attendee02-workshop/mail allows attendee02-workshop/sendbox',
    );
    expect(await allowlist()).not.toContain('attendee02-workshop/sendbox');
    expect(await runs()).toBe(before + 1);

    const { run: again, json: back } = await seedJson(lab, []);
    expect(again.exitCode, again.all).toBe(0);
    expect(created(back)).toEqual(
      expect.arrayContaining([
        'allowlist entry attendee02-workshop/mail allows attendee02-workshop/sendbox',
        'pipeline attendee02-workshop/sendbox',
      ]),
    );
    expect(await allowlist()).toContain('attendee02-workshop/sendbox');
    expect(await runs()).toBe(before + 2);
  }, 120_000);

  it('--reset puts an attendee’s files back to the template and leaves the others alone', async () => {
    const commit = await api('POST', `/projects/${encode('attendee01-workshop/mail')}/repository/commits`, {
      branch: 'main',
      commit_message: 'experiment',
      actions: [
        { action: 'update', file_path: 'mail.go', content: 'package mail\n' },
        { action: 'delete', file_path: 'mail_test.go' },
      ],
    });
    expect(commit.status).toBe(201);
    const other = await api('POST', `/projects/${encode('attendee02-workshop/mail')}/repository/commits`, {
      branch: 'main',
      commit_message: 'keep me',
      actions: [{ action: 'update', file_path: 'mail.go', content: 'package mail\n// mine\n' }],
    });
    expect(other.status).toBe(201);
    const bad = await lab.lab(['seed', '--reset', 'nobody']);
    expect(bad.exitCode).toBe(2);
    const { run: reset, json } = await seedJson(lab, ['--reset', 'attendee01']);
    expect(reset.exitCode, reset.all).toBe(0);
    expect(created(json)).toEqual([]);
    expect(json.items.filter((i) => i.outcome === 'updated').map((i) => i.name)).toEqual(['attendee01-workshop/mail']);
    const raw = (project: string, file: string) => api('GET', `/projects/${encode(project)}/repository/files/${file}/raw?ref=main`);
    expect(String((await raw('attendee01-workshop/mail', 'mail.go')).body)).toContain('const Greeting');
    expect((await raw('attendee01-workshop/mail', 'mail_test.go')).status).toBe(200);
    expect((await raw('attendee02-workshop/mail', 'mail.go')).body).toBe('package mail\n// mine\n');
  }, 120_000);

  it('--remove deletes exactly what lab seeded, and keeps a group that holds a project lab did not create', async () => {
    const modules = await api('GET', '/groups/modules');
    const mine = await api('POST', '/projects', { name: 'mine', path: 'mine', namespace_id: (modules.body as { id: number }).id });
    expect(mine.status).toBe(201);
    const stranger = await api('POST', '/groups', { name: 'stranger', path: 'stranger' });
    expect(stranger.status).toBe(201);

    const removed = await lab.lab(['seed', '--remove']);
    expect(removed.exitCode, removed.all).toBe(0);
    expect(removed.stdout).toMatch(/left\s+1 group: modules \(it holds modules\/mine, which lab did not create\)/);
    const inv = await inventory(lab, token);
    expect(inv.projects).toEqual(['modules/mine']);
    expect(inv.groups.filter((g) => !g.includes('deletion_scheduled'))).toEqual(['modules', 'stranger']);
    expect(inv.users).not.toContain('attendee01');
    expect(inv.variables).not.toContain('CA_CERTIFICATE');
    await expect(stat(join(lab.dir, '.lab', 'secrets', 'attendees.csv'))).rejects.toThrow();

    // Seeding again keeps the group lab still owns and makes the rest anew.
    const { run: again, json } = await seedJson(lab, []);
    expect(again.exitCode, again.all).toBe(0);
    expect(json.items).toContainEqual(expect.objectContaining({ outcome: 'kept', kind: 'group', name: 'modules' }));
    expect(created(json)).toContain('project modules/mail');
    expect((await inventory(lab, token)).projects).toEqual(['modules/mail', 'modules/mine', 'services/sendbox']);
    expect((await lab.lab(['seed', '--remove'])).exitCode).toBe(0);
  }, 180_000);

  it('converges after a SIGKILL at each step, with no duplicates', async () => {
    const once = (list: string[]) => list.filter((x, i) => list.indexOf(x) !== i);
    for (const point of SEED_KILL_POINTS.filter((p) => p !== 'seed:removing')) {
      const killed = await runLabRaw(['seed', '--attendees', '1'], lab.dir, { LAB_TEST_KILL_AT: point });
      expect(killed.signal, `${point}: ${killed.stderr}`).toBe('SIGKILL');
      const { run: again, json } = await seedJson(lab, ['--attendees', '1']);
      expect(again.exitCode, `${point}: ${again.all}`).toBe(0);
      const inv = await inventory(lab, token);
      expect(once([...inv.groups, ...inv.projects, ...inv.users]), point).toEqual([]);
      expect(
        inv.projects.filter((p) => p !== 'modules/mine'),
        point,
      ).toEqual(['attendee01-workshop/mail', 'attendee01-workshop/sendbox', 'modules/mail', 'services/sendbox']);
      expect(inv.users, point).toContain('attendee01');
      // Everything a killed run made is now lab's: a third run creates nothing, and every repository has its files.
      const third = await seedJson(lab, []);
      expect(created(third.json), point).toEqual([]);
      for (const p of ['modules/mail', 'attendee01-workshop/sendbox'])
        expect((await api('GET', `/projects/${encode(p)}/repository/files/go.mod/raw?ref=main`)).status, `${point} ${p}`).toBe(200);
      expect(
        json.items.some((i) => i.outcome === 'adopted') || point === 'seed:intent' || point === 'seed:settings' || point === 'seed:pushed',
        point,
      ).toBe(true);

      const dead =
        point === 'seed:pushed' ? await runLabRaw(['seed', '--remove'], lab.dir, { LAB_TEST_KILL_AT: 'seed:removing' }) : undefined;
      if (dead) expect(dead.signal).toBe('SIGKILL');
      const removed = await lab.lab(['seed', '--remove']);
      expect(removed.exitCode, `${point}: ${removed.all}`).toBe(0);
      expect((await inventory(lab, token)).projects, point).toEqual(['modules/mine']);
    }
  }, 900_000);
});
