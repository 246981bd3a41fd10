// The GitLab double's pipelines, jobs API, CI/CD variables and job tokens. The test acts as
// gitlab-runner does (network/gitlab.go): it polls POST /jobs/request with a runner token
// created through POST /user/runners, sends the trace with Content-Range and the final state.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireDocker } from '../helpers/docker.js';
import { tempDir } from '../helpers/tmp.js';
import { GitlabDouble, type Reply } from './gitlab-double.js';

const hasDocker = await requireDocker();
const gl = new GitlabDouble('glc', 'https');
let dev: Awaited<ReturnType<GitlabDouble['user']>>;
let app: { id: number; path: string };
let lib: { id: number; path: string };
let work: string;

// biome-ignore lint/suspicious/noExplicitAny: job payloads are JSON under test.
type Job = any;

/** A runner with one unique tag, so each test gets only its own jobs. */
async function runner(tag: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await gl.api('/user/runners', {
    method: 'POST',
    body: { runner_type: 'instance_type', tag_list: tag, run_untagged: false, ...extra },
  });
  expect(r.status).toBe(201);
  return r.json.token;
}
const poll = (token: string) =>
  gl.fetch('/api/v4/jobs/request', { method: 'POST', body: { token, info: { name: 'test', version: '19.4.1', executor: 'docker' } } });
const trace = (job: Job, start: number, text: string) =>
  gl.fetch(`/api/v4/jobs/${job.id}/trace`, {
    method: 'PATCH',
    raw: text,
    headers: { 'JOB-TOKEN': job.token, 'Content-Range': `${start}-${start + Buffer.byteLength(text) - 1}`, 'Content-Type': 'text/plain' },
  });
const finish = (job: Job, state: string, extra: Record<string, unknown> = {}) =>
  gl.fetch(`/api/v4/jobs/${job.id}`, { method: 'PUT', body: { token: job.token, state, ...extra } });
const variable = (job: Job, key: string) => job.variables.find((v: { key: string }) => v.key === key);
const basic = (user: string, pass: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });

/** Commits `.gitlab-ci.yml` (and more files) to `branch` as root; returns the commit. */
async function commitCi(project: { id: number }, yaml: string, branch = 'main'): Promise<Reply> {
  const r = await gl.api(`/projects/${project.id}/repository/commits`, {
    method: 'POST',
    body: {
      branch,
      start_branch: 'main',
      force: true,
      commit_message: `ci ${randomBytes(2).toString('hex')}`,
      actions: [{ action: 'update', file_path: '.gitlab-ci.yml', content: yaml }],
    },
  });
  expect(r.status, r.text).toBe(201);
  return r;
}
const pipelineFor = async (project: { id: number }, sha: string) => (await gl.api(`/projects/${project.id}/pipelines?sha=${sha}`)).json;

beforeAll(async () => {
  if (!hasDocker) return;
  work = await tempDir('lab-glc-');
  await gl.start();
  dev = await gl.user('dev');
  const g = await gl.api('/groups', { method: 'POST', body: { name: 'ci', path: 'ci' } });
  await gl.api(`/groups/${g.json.id}/members`, { method: 'POST', body: { user_id: dev.id, access_level: 30 } });
  const mk = async (name: string) => {
    const p = await gl.api('/projects', { method: 'POST', body: { name, namespace_id: g.json.id, initialize_with_readme: true } });
    await gl.api(`/projects/${p.json.id}/repository/commits`, {
      method: 'POST',
      body: {
        branch: 'main',
        commit_message: 'ci',
        actions: [{ action: 'create', file_path: '.gitlab-ci.yml', content: 'noop:\n  script: [true]\n  rules: [{if: $NEVER}]\n' }],
      },
    });
    return { id: p.json.id as number, path: p.json.path_with_namespace as string };
  };
  app = await mk('app');
  lib = await mk('lib');
});

afterAll(async () => {
  if (hasDocker) await gl.stop();
});

describe.skipIf(!hasDocker)('gitlab double: pipelines and the runner jobs API', () => {
  it("hands a runner the job payload gitlab-runner reads, with GitLab's predefined variables", async () => {
    const token = await runner('payload');
    const yaml = `
default:
  image: golang:1.24
  before_script: [go version]
variables:
  GLOBAL: g
build:
  stage: build
  tags: [payload]
  variables: { LOCAL: l, RAW: { value: "$GLOBAL", expand: false } }
  services:
    - name: docker:28-dind
      alias: docker
      entrypoint: [dockerd-entrypoint.sh]
      command: [--tls=false]
      variables: { DOCKER_TLS_CERTDIR: "" }
  script: [go build ./...]
  after_script: [echo done]
`;
    const c = await commitCi(app, yaml);
    const [pipeline] = await pipelineFor(app, c.json.id);
    expect(pipeline).toMatchObject({ ref: 'main', status: 'pending', source: 'push' });
    const r = await poll(token);
    expect(r.status).toBe(201);
    const job = r.json;
    expect(job.token).toMatch(/^glcbt-/);
    expect(job.job_info).toMatchObject({
      name: 'build',
      stage: 'build',
      project_id: app.id,
      project_name: 'app',
      pipeline_id: pipeline.id,
    });
    expect(job.git_info).toEqual({
      repo_url: `https://gitlab-ci-token:${job.token}@${gl.host}/${app.path}.git`,
      ref: 'main',
      sha: c.json.id,
      before_sha: c.json.parent_ids[0],
      ref_type: 'branch',
      refspecs: [`+refs/pipelines/${pipeline.id}:refs/pipelines/${pipeline.id}`, '+refs/heads/main:refs/remotes/origin/main'],
      depth: 20,
      repo_object_format: 'sha1',
      protected: true,
    });
    expect(job.steps).toEqual([
      { name: 'script', script: ['go version', 'go build ./...'], timeout: 3600, when: 'on_success', allow_failure: false },
      { name: 'after_script', script: ['echo done'], timeout: 3600, when: 'always', allow_failure: true },
    ]);
    expect(job.image).toMatchObject({ name: 'golang:1.24' });
    expect(job.services).toEqual([
      expect.objectContaining({
        name: 'docker:28-dind',
        alias: 'docker',
        entrypoint: ['dockerd-entrypoint.sh'],
        command: ['--tls=false'],
        variables: [{ key: 'DOCKER_TLS_CERTDIR', value: '', public: true, masked: false }],
      }),
    ]);
    expect(job.credentials).toEqual([{ type: 'registry', url: `registry.${gl.dom}`, username: 'gitlab-ci-token', password: job.token }]);
    const values = Object.fromEntries(job.variables.map((v: { key: string; value: string }) => [v.key, v.value]));
    expect(values).toMatchObject({
      CI: 'true',
      GITLAB_CI: 'true',
      CI_JOB_ID: String(job.id),
      CI_JOB_NAME: 'build',
      CI_JOB_STAGE: 'build',
      CI_JOB_TOKEN: job.token,
      CI_PIPELINE_ID: String(pipeline.id),
      CI_PROJECT_ID: String(app.id),
      CI_PROJECT_NAME: 'app',
      CI_PROJECT_PATH: app.path,
      CI_PROJECT_NAMESPACE: 'ci',
      CI_PROJECT_URL: `${gl.externalUrl}/${app.path}`,
      CI_COMMIT_SHA: c.json.id,
      CI_COMMIT_SHORT_SHA: c.json.id.slice(0, 8),
      CI_COMMIT_REF_NAME: 'main',
      CI_COMMIT_REF_SLUG: 'main',
      CI_COMMIT_BRANCH: 'main',
      CI_DEFAULT_BRANCH: 'main',
      CI_SERVER_URL: gl.externalUrl,
      CI_SERVER_HOST: gl.host,
      CI_SERVER_PORT: '443',
      CI_SERVER_PROTOCOL: 'https',
      CI_SERVER_VERSION: '19.4.1',
      CI_API_V4_URL: `${gl.externalUrl}/api/v4`,
      CI_REGISTRY: `registry.${gl.dom}`,
      CI_REGISTRY_IMAGE: `registry.${gl.dom}/${app.path}`,
      CI_REGISTRY_USER: 'gitlab-ci-token',
      CI_REGISTRY_PASSWORD: job.token,
      CI_REPOSITORY_URL: `https://gitlab-ci-token:${job.token}@${gl.host}/${app.path}.git`,
      GLOBAL: 'g',
      LOCAL: 'l',
      RAW: '$GLOBAL',
    });
    expect(values.CI_COMMIT_TAG).toBeUndefined();
    expect(values.CI_PROJECT_DIR).toBeUndefined(); // the runner sets it
    expect(variable(job, 'CI_JOB_TOKEN')).toEqual({ key: 'CI_JOB_TOKEN', value: job.token, public: false, masked: true });
    expect(variable(job, 'RAW')).toEqual({ key: 'RAW', value: '$GLOBAL', public: true, masked: false, raw: true });
    expect((await finish(job, 'success')).status).toBe(200);
    expect((await gl.api(`/projects/${app.id}/pipelines/${pipeline.id}`)).json).toMatchObject({ status: 'success', yaml_errors: null });
  });

  it('runs stages in order, appends traces by Content-Range, skips later stages after a failure, and retries', async () => {
    const token = await runner('stages');
    const c = await commitCi(
      app,
      'stages: [one, two]\na:\n  stage: one\n  tags: [stages]\n  script: [x]\nb:\n  stage: two\n  tags: [stages]\n  script: [y]\n',
    );
    const [pipeline] = await pipelineFor(app, c.json.id);
    const a = (await poll(token)).json;
    expect(a.job_info.name).toBe('a');
    expect((await poll(token)).status).toBe(204); // b waits for stage one
    const t1 = await trace(a, 0, 'hello\n');
    expect(t1.status).toBe(202);
    expect([t1.headers.get('range'), t1.headers.get('job-status')]).toEqual(['0-6', 'running']);
    const gap = await trace(a, 10, 'x');
    expect(gap.status).toBe(416);
    expect(gap.headers.get('range')).toBe('0-6');
    expect((await trace(a, 6, 'world\n')).headers.get('range')).toBe('0-12');
    expect((await finish(a, 'failed', { failure_reason: 'script_failure', exit_code: 1 })).status).toBe(200);
    expect((await gl.api(`/projects/${app.id}/jobs/${a.id}/trace`)).text).toBe('hello\nworld\n');
    const jobs = (await gl.api(`/projects/${app.id}/pipelines/${pipeline.id}/jobs`)).json;
    expect(jobs.map((j: { name: string; status: string }) => [j.name, j.status]).sort()).toEqual([
      ['a', 'failed'],
      ['b', 'skipped'],
    ]);
    expect(jobs.find((j: { name: string }) => j.name === 'a').failure_reason).toBe('script_failure');
    expect((await gl.api(`/projects/${app.id}/pipelines/${pipeline.id}`)).json.status).toBe('failed');
    // A finished job's token is dead: the runner is told the job's state with a 403.
    const late = await trace(a, 12, 'late');
    expect(late.status).toBe(403);
    expect(late.headers.get('job-status')).toBe('failed');
    const retried = await gl.api(`/projects/${app.id}/jobs/${a.id}/retry`, { method: 'POST' });
    expect(retried.status).toBe(201);
    const a2 = (await poll(token)).json;
    expect(a2.id).toBe(retried.json.id);
    await finish(a2, 'success');
    const b = (await poll(token)).json;
    expect(b.job_info.name).toBe('b');
    await finish(b, 'success');
    expect((await gl.api(`/projects/${app.id}/pipelines/${pipeline.id}`)).json.status).toBe('success');
  });

  it('matches runners by tags and run_untagged, gives paused runners nothing, refuses unknown tokens', async () => {
    const other = await runner('other');
    const paused = await runner('match', { paused: true });
    await commitCi(app, 'only-match:\n  tags: [match]\n  script: [x]\n');
    expect((await poll(other)).status).toBe(204);
    const idle = await poll(paused);
    expect(idle.status).toBe(204);
    expect(idle.headers.get('x-gitlab-last-update')).toBeTruthy();
    expect((await poll('glrt-nope')).status).toBe(403);
    const job = (await poll(await runner('match'))).json;
    expect(job.job_info.name).toBe('only-match');
    const cancel = await gl.api(`/projects/${app.id}/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(cancel.json.status).toBe('canceled');
    const told = await finish(job, 'success');
    expect(told.status).toBe(403);
    expect(told.headers.get('job-status')).toBe('canceled');
  });

  it('selects jobs with rules (CI_COMMIT_TAG / CI_COMMIT_BRANCH) and only/except, for branches and for tags pushed with git', async () => {
    const token = await runner('rules');
    const yaml = `
on-tag:
  tags: [rules]
  script: [x]
  rules: [{ if: $CI_COMMIT_TAG }]
on-main:
  tags: [rules]
  script: [x]
  rules: [{ if: '$CI_COMMIT_BRANCH == "main"' }]
on-release:
  tags: [rules]
  script: [x]
  rules: [{ if: '$CI_COMMIT_TAG =~ /^v\\d+/', when: always }, { when: never }]
old-style:
  tags: [rules]
  script: [x]
  only: [tags]
  except: ['/^wip-/']
`;
    const c = await commitCi(app, yaml);
    const names = async (pipelineId: number) =>
      (await gl.api(`/projects/${app.id}/pipelines/${pipelineId}/jobs`)).json.map((j: { name: string }) => j.name).sort();
    expect(await names((await pipelineFor(app, c.json.id))[0].id)).toEqual(['on-main']);
    const dir = join(work, 'tags');
    const clone = await gl.git(['clone', '-q', gl.url(`${app.path}.git`, 'root', gl.adminToken), dir]);
    expect(clone.exitCode, clone.stderr).toBe(0);
    await gl.git(['tag', 'v1.2.0'], { cwd: dir });
    await gl.git(['tag', 'wip-1'], { cwd: dir });
    const pushed = await gl.git(['push', 'origin', 'v1.2.0', 'wip-1'], { cwd: dir });
    expect(pushed.exitCode, pushed.stderr).toBe(0);
    const pipelines = (await gl.api(`/projects/${app.id}/pipelines?sha=${c.json.id}`)).json;
    const byRef = Object.fromEntries(pipelines.map((p: { ref: string; id: number }) => [p.ref, p.id]));
    expect(await names(byRef['v1.2.0'])).toEqual(['old-style', 'on-release', 'on-tag']);
    expect(await names(byRef['wip-1'])).toEqual(['on-tag']);
    const drained: Job[] = [];
    for (let r = await poll(token); r.status === 201; r = await poll(token)) drained.push(r.json);
    const tagJob = drained.find((j) => j.git_info.ref === 'v1.2.0');
    expect(tagJob.git_info).toMatchObject({
      ref_type: 'tag',
      refspecs: [expect.stringMatching(/^\+refs\/pipelines\/\d+:/), '+refs/tags/v1.2.0:refs/tags/v1.2.0'],
    });
    expect(variable(tagJob, 'CI_COMMIT_TAG').value).toBe('v1.2.0');
    expect(variable(tagJob, 'CI_COMMIT_BRANCH')).toBeUndefined();
    for (const j of drained) await finish(j, 'success');
  });

  it('fails the pipeline with yaml_errors worded as GitLab, and names keywords the double does not implement', async () => {
    const cases: [string, string][] = [
      ['build:\n  script: [x]\n  scriptt: [y]\n', 'jobs:build config contains unknown keys: scriptt'],
      [
        'build:\n  stage: nope\n  script: [x]\n',
        'build job: chosen stage does not exist; available stages are .pre, build, test, deploy, .post',
      ],
      [
        'build:\n  script: [x]\n  cache: {paths: [x]}\n',
        'jobs:build config uses the `cache` keyword, which the GitLab double (lab-fixture/gitlab) does not implement',
      ],
      [
        'include: {local: a.yml}\nbuild:\n  script: [x]\n',
        'root config uses the `include` keyword, which the GitLab double (lab-fixture/gitlab) does not implement',
      ],
      ['build:\n  stage: test\n', 'jobs build config should implement the script:, run:, or trigger: keyword'],
    ];
    for (const [yaml, message] of cases) {
      const c = await commitCi(app, yaml);
      const [p] = await pipelineFor(app, c.json.id);
      const full = (await gl.api(`/projects/${app.id}/pipelines/${p.id}`)).json;
      expect(full).toMatchObject({ status: 'failed', yaml_errors: message });
      expect((await gl.api(`/projects/${app.id}/pipelines/${p.id}/jobs`)).json).toEqual([]);
    }
    const viaApi = await gl.api(`/projects/${app.id}/pipeline`, { method: 'POST', body: { ref: 'main' } });
    expect(viaApi.status).toBe(400);
    expect(viaApi.json).toEqual({ message: { base: ['jobs build config should implement the script:, run:, or trigger: keyword'] } });
    expect((await gl.api(`/projects/${app.id}/pipeline`, { method: 'POST', body: { ref: 'nope' } })).json).toEqual({
      message: { base: ['Reference not found'] },
    });
  });
});

describe.skipIf(!hasDocker)('gitlab double: CI/CD variables', () => {
  it('validates like GitLab and answers with its shapes', async () => {
    const ok = await gl.api(`/projects/${app.id}/variables`, {
      method: 'POST',
      body: { key: 'DEPLOY_KEY', value: 'c2VjcmV0LXZhbHVl', masked: true, variable_type: 'file' },
    });
    expect(ok.status).toBe(201);
    expect(ok.json).toEqual({
      variable_type: 'file',
      key: 'DEPLOY_KEY',
      value: 'c2VjcmV0LXZhbHVl',
      hidden: false,
      protected: false,
      masked: true,
      raw: false,
      environment_scope: '*',
      description: null,
    });
    const dup = await gl.api(`/projects/${app.id}/variables`, { method: 'POST', body: { key: 'DEPLOY_KEY', value: 'x' } });
    expect(dup.json).toEqual({ message: { key: ['(DEPLOY_KEY) has already been taken'] } });
    const bad = await gl.api(`/projects/${app.id}/variables`, { method: 'POST', body: { key: 'NO-DASH', value: 'x' } });
    expect(bad.json).toEqual({ message: { key: ["can contain only letters, digits and '_'."] } });
    const masked = await gl.api(`/projects/${app.id}/variables`, { method: 'POST', body: { key: 'SHORT', value: 'abc', masked: true } });
    expect(masked.json).toEqual({ message: { value: ['is invalid'] } });
    expect((await gl.api(`/projects/${app.id}/variables`, { method: 'POST', body: { key: 'X' } })).json).toEqual({
      error: 'value is missing',
    });
    expect((await gl.api(`/projects/${app.id}/variables`, { token: dev.token })).status).toBe(403);
    expect((await gl.api('/admin/ci/variables', { token: dev.token })).status).toBe(403);
    const inst = await gl.api('/admin/ci/variables', { method: 'POST', body: { key: 'INSTANCE_WIDE', value: 'i' } });
    expect(inst.json).toEqual({
      variable_type: 'env_var',
      key: 'INSTANCE_WIDE',
      value: 'i',
      protected: false,
      masked: false,
      raw: false,
      description: null,
    });
    expect((await gl.api('/admin/ci/variables/NOPE')).json).toEqual({ message: '404 Variable Not Found' });
    await gl.api(`/projects/${app.id}/variables`, { method: 'POST', body: { key: 'ONLY_PROTECTED', value: 'p', protected: true } });
  });

  it('delivers instance and project variables to jobs, protected ones only on protected refs', async () => {
    const token = await runner('vars');
    const yaml = 'v:\n  tags: [vars]\n  script: [env]\n';
    await commitCi(app, yaml);
    await commitCi(app, yaml, 'topic');
    const jobs: Job[] = [(await poll(token)).json, (await poll(token)).json];
    const onMain = jobs.find((j) => j.git_info.ref === 'main');
    const onTopic = jobs.find((j) => j.git_info.ref === 'topic');
    expect(variable(onMain, 'DEPLOY_KEY')).toEqual({
      key: 'DEPLOY_KEY',
      value: 'c2VjcmV0LXZhbHVl',
      public: false,
      masked: true,
      file: true,
    });
    expect(variable(onMain, 'INSTANCE_WIDE')).toEqual({ key: 'INSTANCE_WIDE', value: 'i', public: false, masked: false });
    expect(variable(onMain, 'ONLY_PROTECTED').value).toBe('p');
    expect(variable(onTopic, 'ONLY_PROTECTED')).toBeUndefined();
    expect(variable(onTopic, 'CI_COMMIT_REF_PROTECTED').value).toBe('false');
    for (const j of jobs) await finish(j, 'success');
  });
});

describe.skipIf(!hasDocker)('gitlab double: job tokens', () => {
  it('lets a running job clone its project, never push, and reach another private project only through its allowlist', async () => {
    const token = await runner('tokens');
    await commitCi(app, 't:\n  tags: [tokens]\n  script: [x]\n');
    const job = (await poll(token)).json;
    const own = await gl.git(['ls-remote', gl.url(`${app.path}.git`, 'gitlab-ci-token', job.token)]);
    expect(own.exitCode, own.stderr).toBe(0);
    const push = await gl.fetch(`/${app.path}.git/info/refs?service=git-receive-pack`, { headers: basic('gitlab-ci-token', job.token) });
    expect([push.status, push.text]).toEqual([403, 'You are not allowed to upload code.']);
    const other = await gl.git(['ls-remote', gl.url(`${lib.path}.git`, 'gitlab-ci-token', job.token)]);
    expect(other.stderr).toContain('remote: Authentication by CI/CD job token not allowed from app to lib.');
    const scope = await gl.api(`/projects/${lib.id}/job_token_scope`);
    expect(scope.json).toEqual({ inbound_enabled: true, outbound_enabled: false });
    expect(
      (
        await gl.api(`/projects/${lib.id}/job_token_scope/allowlist`, {
          method: 'POST',
          token: dev.token,
          body: { target_project_id: app.id },
        })
      ).status,
    ).toBe(403);
    const added = await gl.api(`/projects/${lib.id}/job_token_scope/allowlist`, { method: 'POST', body: { target_project_id: app.id } });
    expect(added.status).toBe(201);
    expect(added.json).toEqual({ source_project_id: lib.id, target_project_id: app.id });
    const again = await gl.api(`/projects/${lib.id}/job_token_scope/allowlist`, { method: 'POST', body: { target_project_id: app.id } });
    expect(again.json).toEqual({ message: '400 Bad request - Target project is already in the job token scope' });
    const list = await gl.api(`/projects/${lib.id}/job_token_scope/allowlist`);
    expect(list.json.map((p: { id: number }) => p.id)).toEqual([lib.id, app.id]);
    const allowed = await gl.git(['ls-remote', gl.url(`${lib.path}.git`, 'gitlab-ci-token', job.token)]);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect((await gl.api(`/projects/${lib.id}/job_token_scope/allowlist/${app.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gl.git(['ls-remote', gl.url(`${lib.path}.git`, 'gitlab-ci-token', job.token)])).exitCode).not.toBe(0);
    expect((await gl.api(`/projects/${lib.id}/job_token_scope`, { method: 'PATCH', body: { enabled: false } })).status).toBe(204);
    expect((await gl.git(['ls-remote', gl.url(`${lib.path}.git`, 'gitlab-ci-token', job.token)])).exitCode).toBe(0);
    await gl.api(`/projects/${lib.id}/job_token_scope`, { method: 'PATCH', body: { enabled: true } });
    await finish(job, 'success');
    const after = await gl.fetch(`/${app.path}.git/info/refs?service=git-upload-pack`, { headers: basic('gitlab-ci-token', job.token) });
    expect(after.status).toBe(401);
  });
});
