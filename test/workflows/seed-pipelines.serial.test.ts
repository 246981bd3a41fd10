import { existsSync } from 'node:fs';
import { readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../helpers/docker.js';
import { type FixtureLab, fixtureLab, fixtureSuite, gitlabApi } from '../helpers/fixture-lab.js';
import { tempDir } from '../helpers/tmp.js';
import { adminToken, encode, seedJson } from '../seed/helpers.js';

/**
 * The proof of `lab seed` end to end: a lab on the fixture images with a runner that runs jobs
 * (docker executor), the job images (`golang:1.24-bookworm`, `docker:28.3.3`), and the
 * pipelines of the built-in workshop. Go fetches the private module over HTTPS with the job
 * token; the image is built by the engine host's daemon (`runner.docker: socket`) and pushed
 * to the lab registry.
 *
 * SERIAL: the host's daemon must resolve and trust the registry, so this file edits /etc/hosts
 * and /etc/docker (restored afterwards), and the lab publishes port 443, which Go needs.
 */
const HOSTS = '/etc/hosts';
const DOCKER_ETC = '/etc/docker';
const JOB_IMAGES = ['golang:1.24-bookworm', 'docker:28.3.3'];
const linuxRoot = process.platform === 'linux' && process.getuid?.() === 0;
const imagesPresent = async () => {
  for (const image of JOB_IMAGES) if ((await docker(['image', 'inspect', image], { reject: false })).exitCode !== 0) return false;
  return true;
};
const port443Free = async () => (await execa('ss', ['-ltnH', 'sport = :443'], { reject: false })).stdout.trim() === '';
const run = (await fixtureSuite({ when: linuxRoot })) && (await imagesPresent()) && (await port443Free());
if (!run && process.env.LAB_REQUIRE_DOCKER === '1' && linuxRoot)
  throw new Error('LAB_REQUIRE_DOCKER=1 but the job images or port 443 are not available');

const WAIT = ['--wait', '--timeout', '60m'];

/**
 * What the jobs of a lab leave on the engine host's daemon, which lab does not own: the images
 * they built (the pushed ones and the build stages, found by the lab's unique GitLab host in
 * their build arguments) and the runner's cache volumes of its jobs.
 */
async function removeTraces(lab: FixtureLab): Promise<void> {
  const host = lab.hosts.gitlab;
  const tagged = await docker(['images', '--filter', `reference=${lab.hosts.registry}/*/*`, '--format', '{{.ID}}'], { reject: false });
  const dangling = await docker(['images', '-q', '--filter', 'dangling=true'], { reject: false });
  const stages: string[] = [];
  for (const id of dangling.stdout.split('\n').filter(Boolean)) {
    const cmd = await docker(['image', 'inspect', id, '--format', '{{json .ContainerConfig.Cmd}}'], { reject: false });
    if (cmd.stdout.includes(`CI_SERVER_HOST=${host}`)) stages.push(id);
  }
  const ids = [...new Set([...tagged.stdout.split('\n').filter(Boolean), ...stages])];
  if (ids.length > 0) await docker(['rmi', '-f', ...ids], { reject: false });
  const volumes = await docker(
    [
      'volume',
      'ls',
      '--filter',
      'label=com.gitlab.gitlab-runner.type=cache',
      '--format',
      '{{.Name}} {{.Label "com.gitlab.gitlab-runner.job.url"}}',
    ],
    {
      reject: false,
    },
  );
  for (const line of volumes.stdout.split('\n').filter((l) => l.includes(`https://${host}/`)))
    await docker(['volume', 'rm', line.split(' ')[0] ?? ''], { reject: false });
}

/** GET / of a container's published 8080: sendbox's page. */
function fetchPage(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.runIf(run)('lab seed --wait: the workshop pipelines on the fixture stack', () => {
  let lab: FixtureLab;
  let certsDBefore = true;
  let registry = '';
  const containers: string[] = [];
  const images: string[] = [];

  const api = async (method: string, path: string, json?: unknown) =>
    gitlabApi(lab, method, path, { token: await adminToken(lab), ...(json === undefined ? {} : { json }) });
  const login = async (user: string, password: string) =>
    execa('docker', ['login', registry, '--username', user, '--password-stdin'], { input: password, reject: false, all: true });

  /** The id of a job of sendbox's pipeline, found from the pipeline URL lab printed. */
  async function jobOf(url: string | undefined, name: string): Promise<number | undefined> {
    const pipeline = /\/pipelines\/(\d+)$/.exec(url ?? '')?.[1];
    const jobs = (await api('GET', `/projects/${encode('services/sendbox')}/pipelines/${pipeline}/jobs`)).body as {
      id: number;
      name: string;
    }[];
    return jobs.find((j) => j.name === name)?.id;
  }

  /** Pulls the image, runs it with 8080 published, and returns its page. */
  async function serve(image: string): Promise<string> {
    images.push(image);
    const pull = await execa('docker', ['pull', image], { reject: false, all: true, timeout: 300_000 });
    expect(pull.exitCode, pull.all).toBe(0);
    const started = await docker(['run', '-d', '-p', '127.0.0.1::8080', image]);
    const id = started.stdout.trim();
    containers.push(id);
    const port = Number((await docker(['port', id, '8080/tcp'])).stdout.trim().split(':').at(-1));
    for (let i = 0; i < 50; i++) {
      const page = await fetchPage(port).catch(() => '');
      if (page) return page;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${image} did not answer on ${port}`);
  }

  beforeAll(async () => {
    certsDBefore = existsSync(join(DOCKER_ETC, 'certs.d'));
    lab = await fixtureLab(tempDir, { prefix: 'sp', uniqueDomain: true, https: 443 });
    registry = lab.hosts.registry;
    const up = await lab.lab(['up', '--pull', 'never', '--timeout', '300s']);
    expect(up.exitCode, up.all).toBe(0);
    // The host's daemon builds and pushes (runner.docker: socket): it must find and trust the registry.
    expect((await lab.lab(['hosts', '--write', '--target', 'proxy'])).exitCode).toBe(0);
    expect((await lab.lab(['trust', '--docker'])).exitCode).toBe(0);
    // dockerd re-reads /etc/hosts at most every 5 s (Go's net/hosts.go).
    await new Promise((r) => setTimeout(r, 6000));
  }, 600_000);

  afterAll(async () => {
    for (const id of containers) await docker(['rm', '-f', id], { reject: false });
    if (registry) await execa('docker', ['logout', registry], { reject: false });
    if (lab) {
      await lab.lab(['trust', '--uninstall']);
      await lab.lab(['hosts', '--remove']);
      await lab.lab(['destroy', '--yes']);
      await lab.purge();
      await removeTraces(lab);
    }
    for (const image of images) await docker(['rmi', '-f', image], { reject: false });
    // Other suites may edit these files at the same time: take out only this lab's lines.
    const hosts = await readFile(HOSTS, 'utf8');
    const block = new RegExp(`\\n?# >>> lab ${lab?.name} [^\\n]*\\n(?:[^\\n]*\\n)*?# <<< lab ${lab?.name} <<<\\n`);
    if (lab && block.test(hosts)) await writeFile(HOSTS, hosts.replace(block, ''));
    const stray = join(DOCKER_ETC, 'certs.d', registry || 'none');
    if (registry && existsSync(stray)) await rm(stray, { recursive: true, force: true });
    if (!certsDBefore) await rmdir(join(DOCKER_ETC, 'certs.d')).catch(() => undefined);
    expect(existsSync(stray)).toBe(false);
    expect(await readFile(HOSTS, 'utf8')).not.toContain(`lab ${lab?.name}`);
  }, 300_000);

  it('the job-token lesson: the module fetch fails with GitLab’s 403 wording; a second lab seed turns it green', async () => {
    const { run: lesson, json } = await seedJson(lab, ['--lesson', 'job-token', ...WAIT]);
    expect(lesson.exitCode, lesson.all).toBe(0);
    const byProject = Object.fromEntries((json.pipelines ?? []).map((p) => [p.project, p]));
    expect(byProject['modules/mail']?.status).toBe('success');
    expect(byProject['services/sendbox']).toMatchObject({ status: 'failed', failure: { job: 'test' } });
    // lab shows the teacher why: the end of the failed job's log.
    expect(byProject['services/sendbox']?.failure?.lines.join('\n')).toContain(
      'Authentication by CI/CD job token not allowed from sendbox to mail.',
    );
    const sendbox = encode('services/sendbox');
    const failed = await jobOf(byProject['services/sendbox']?.url, 'test');
    const trace = String((await api('GET', `/projects/${sendbox}/jobs/${failed}/trace`)).body);
    expect(trace).toContain('Authentication by CI/CD job token not allowed from sendbox to mail.');

    const { run: again, json: green } = await seedJson(lab, WAIT);
    expect(again.exitCode, again.all).toBe(0);
    expect(green.items).toContainEqual(
      expect.objectContaining({ outcome: 'created', kind: 'allowlist entry', name: 'modules/mail allows services/sendbox' }),
    );
    expect(green.pipelines?.map((p) => [p.project, p.status, p.image])).toEqual([
      ['modules/mail', 'success', undefined],
      ['services/sendbox', 'success', `${registry}/services/sendbox:main`],
    ]);
    // Go fetched the module from this GitLab, over HTTPS, as the job (its token in ~/.netrc).
    const test = await jobOf(green.pipelines?.find((p) => p.project === 'services/sendbox')?.url, 'test');
    const log = String((await api('GET', `/projects/${sendbox}/jobs/${test}/trace`)).body);
    expect(log).toMatch(new RegExp(`go: (downloading|added) ${lab.hosts.gitlab.replace(/\./g, '\\.')}/modules/mail`));
  }, 7_200_000);

  it('the sendbox image pulls from the registry and answers; a change in mail shows up after a re-run', async () => {
    const password = /GITLAB_ROOT_PASSWORD=(.*)/.exec(await readFile(join(lab.dir, '.lab', 'secrets', 'gitlab.env'), 'utf8'))?.[1] ?? '';
    expect((await login('root', password)).exitCode).toBe(0);
    const image = `${registry}/services/sendbox:main`;
    expect(await serve(image)).toContain('Hello from the mail module, sendbox!');

    const mail = encode('modules/mail');
    const source = String((await api('GET', `/projects/${mail}/repository/files/mail.go/raw?ref=main`)).body);
    const commit = await api('POST', `/projects/${mail}/repository/commits`, {
      branch: 'main',
      commit_message: 'A new greeting',
      actions: [
        {
          action: 'update',
          file_path: 'mail.go',
          content: source.replace('Hello from the mail module', 'Greetings from the changed module'),
        },
      ],
    });
    expect(commit.status).toBe(201);
    const rerun = await api('POST', `/projects/${encode('services/sendbox')}/pipeline?ref=main`);
    expect(rerun.status).toBe(201);
    const id = (rerun.body as { id: number }).id;
    let status = '';
    for (let i = 0; i < 1800 && !['success', 'failed', 'canceled'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 2000));
      status = ((await api('GET', `/projects/${encode('services/sendbox')}/pipelines/${id}`)).body as { status: string }).status;
    }
    expect(status).toBe('success');
    expect(await serve(image)).toContain('Greetings from the changed module, sendbox!');
  }, 7_200_000);

  it('--attendees 5: each attendee’s pipelines push to their own path, and nobody can push to another’s', async () => {
    const { run: seeded, json } = await seedJson(lab, ['--attendees', '5', ...WAIT]);
    expect(seeded.exitCode, seeded.all).toBe(0);
    const attendeeImages = (json.pipelines ?? []).filter((p) => p.project.startsWith('attendee')).map((p) => [p.status, p.image ?? '']);
    expect(attendeeImages).toHaveLength(10);
    expect(attendeeImages.every(([status]) => status === 'success')).toBe(true);
    expect(attendeeImages.map(([, image]) => image).filter(Boolean)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `${registry}/attendee0${n}-workshop/sendbox:main`),
    );

    const rows = (await readFile(join(lab.dir, '.lab', 'secrets', 'attendees.csv'), 'utf8')).trim().split('\n').slice(1);
    const second = rows.find((r) => r.startsWith('attendee02,'))?.split(',')[1] ?? '';
    expect((await login('attendee02', second)).exitCode).toBe(0);
    const own = `${registry}/attendee02-workshop/sendbox:mine`;
    const foreign = `${registry}/attendee01-workshop/sendbox:not-yours`;
    for (const tag of [own, foreign]) {
      images.push(tag);
      await docker(['tag', `${registry}/attendee02-workshop/sendbox:main`, tag]);
    }
    const pushOwn = await execa('docker', ['push', own], { reject: false, all: true, timeout: 300_000 });
    expect(pushOwn.exitCode, pushOwn.all).toBe(0);
    const pushForeign = await execa('docker', ['push', foreign], { reject: false, all: true, timeout: 300_000 });
    expect(pushForeign.exitCode).not.toBe(0);
    expect(pushForeign.all).toMatch(/denied|unauthorized|insufficient_scope/i);
  }, 14_400_000);
});
