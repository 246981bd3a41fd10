// The runner double runs jobs like gitlab-runner's docker executor, against the GitLab double
// behind the Traefik double: a project pushed with real git, pipelines from .gitlab-ci.yml,
// jobs that clone through the proxy with the job token and the lab CA, run scripts, talk to
// services by alias, build with docker:dind, and report back through the jobs API.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, requireDocker } from '../helpers/docker.js';
import { RUN_LABEL, runId } from '../helpers/run-label.js';
import { GitlabDouble } from './gitlab-double.js';
import { waitFor } from './harness.js';
import { type Job, RunnerStack, shortToken } from './runner-stack.js';

const hasDocker = await requireDocker();
const gl = new GitlabDouble('rj', 'https', true);
const rs = new RunnerStack(gl);
const byName = (jobs: Job[], name: string) => jobs.find((j) => j.name === name) as Job;
const only = (jobs: Job[]) => jobs[0] as Job;

/** The job `name` of `pipeline` once the runner has taken it. */
const runningJob = (pipeline: number, name: string) =>
  waitFor(`job ${name} running`, async () => {
    const jobs = (await rs.api(`/projects/${rs.project.id}/pipelines/${pipeline}/jobs`)).json as Job[];
    const job = byName(jobs, name);
    return job?.status === 'running' ? job : undefined;
  });

/** Config and host config of the job's containers of one type (gitlab-runner's labels). */
async function containersOf(job: Job, type: string, count = 1) {
  const filter = ['--filter', `label=com.gitlab.gitlab-runner.job.id=${job.id}`, '--filter', `label=com.gitlab.gitlab-runner.type=${type}`];
  // Other doubles in this run number their jobs from 1 too: only this stack's runners count.
  const ours = new Set(Object.values(rs.tokens).map(shortToken));
  const format = '{{.ID}} {{.Label "com.gitlab.gitlab-runner.runner.id"}}';
  const ids = await waitFor(
    `${type} containers`,
    async () => {
      const rows = (await docker(['ps', '-a', ...filter, '--format', format])).stdout.split('\n').filter(Boolean);
      const list = rows.map((r) => r.split(' ')).flatMap(([id, runner]) => (id && runner && ours.has(runner) ? [id] : []));
      return list.length >= count ? list : undefined;
    },
    60_000,
  );
  return JSON.parse((await docker(['inspect', ...ids])).stdout) as {
    Config: { Labels: Record<string, string> };
    HostConfig: {
      Privileged: boolean;
      CapAdd: string[] | null;
      CapDrop: string[] | null;
      SecurityOpt: string[] | null;
      Binds: string[] | null;
    };
  }[];
}

beforeAll(async () => {
  if (!hasDocker) return;
  await gl.start();
  await rs.createProject('lab', 'app');
  for (const body of [
    { key: 'PROJECT_SECRET', value: 'hush-hush-4711', masked: true },
    { key: 'PROJECT_FILE', value: 'file variable content\n', variable_type: 'file' },
  ]) {
    const r = await gl.api(`/projects/${rs.project.id}/variables`, { method: 'POST', body });
    if (r.status !== 201) throw new Error(`POST variables ${r.status} ${r.text}`);
  }
  await rs.start([
    // The lab's runner: the lab network, privileged for docker:dind, a bind volume to look into.
    // Cache volumes are kept between jobs here (disable_cache unset), as in a lab.
    {
      tag: 'main',
      runner: 'environment = ["LAB_ENV=from-config"]\npre_build_script = "echo pre-build $LAB_ENV"',
      docker: {
        privileged: 'true',
        services_privileged: 'true',
        allowed_privileged_services: '["docker:*-dind"]',
        volumes: '["/cache", "/certs/client", "{out}:/out"]',
        disable_cache: 'false',
      },
    },
    // Per-build networks: network_mode unset and FF_NETWORK_PER_BUILD.
    { tag: 'pb', labNetwork: false, flags: 'FF_NETWORK_PER_BUILD = true' },
    { tag: 'always', docker: { pull_policy: '["always"]' } },
    // The default bridge (network_mode unset, no per-build network): services are linked.
    {
      tag: 'allow',
      labNetwork: false,
      docker: { allowed_images: '["lab-fixture/busybox:*"]', allowed_services: '["lab-fixture/busybox:*"]' },
    },
  ]);
});

afterAll(async () => {
  if (!hasDocker) return;
  await rs.stop();
  await gl.stop();
});

describe.skipIf(!hasDocker)('runner double: jobs through the docker executor', () => {
  it('clones through the proxy with the job token, runs the script and reports success with the trace', async () => {
    const { sha, pipeline } = await rs.push({
      'message.txt': 'pushed with real git\n',
      '.gitlab-ci.yml': `build:
  tags: [main]
  variables: { GREETING: hello }
  script:
    - cat message.txt
    - echo "$GREETING $CI_PROJECT_PATH $CI_COMMIT_SHA $CI_PROJECT_DIR" > /out/$CI_JOB_ID.txt
    - cat message.txt >> /out/$CI_JOB_ID.txt
    - echo "token $CI_JOB_TOKEN secret $PROJECT_SECRET"
    - cat "$PROJECT_FILE"
    - test -f "$CI_SERVER_TLS_CA_FILE" && grep -q "BEGIN CERTIFICATE" "$CI_SERVER_TLS_CA_FILE"
`,
    });
    const job = only(await rs.finished(pipeline));
    const trace = await rs.trace(job);
    expect(job.status, trace).toBe('success');
    expect(await readFile(join(rs.out, `${job.id}.txt`), 'utf8')).toBe(
      `hello ${rs.project.path} ${sha} /builds/${rs.project.path}\npushed with real git\n`,
    );
    // The familiar lines, with gitlab-runner's section markers and line timestamps.
    expect(trace).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z 00O \S*Running with gitlab-runner 19\.4\.1 /);
    expect(trace).toContain(`on main ${shortToken(rs.token('main'))}, system ID: `);
    expect(trace).toMatch(/section_start:\d+:prepare_executor\r/);
    expect(trace).toContain('Preparing the "docker" executor');
    expect(trace).toContain('Using Docker executor with image lab-fixture/busybox:latest ...');
    expect(trace).toContain('Getting source from Git repository');
    expect(trace).toContain(`Checking out ${sha.slice(0, 8)} as detached HEAD (ref is main)...`);
    expect(trace).toContain('Executing "step_script" stage of the job script');
    expect(trace).toContain('$ cat message.txt');
    expect(trace).toContain('pushed with real git');
    expect(trace).toMatch(/section_end:\d+:step_script\r/);
    expect(trace).toContain('Job succeeded');
    // The job token is masked, never shown.
    expect(trace).toContain('token [MASKED] secret [MASKED]');
    expect(trace).not.toMatch(/glcbt-[A-Za-z0-9]/);
    expect(trace).not.toContain('hush-hush');
    expect(trace).toContain('file variable content');
    // config.toml's environment and pre_build_script.
    expect(trace).toContain('$ echo pre-build $LAB_ENV');
    expect(trace).toContain('pre-build from-config');
    expect(trace).toContain('Created fresh repository.');
  });

  it('fails a job with its exit code, runs after_script and reports script_failure', async () => {
    const { pipeline } = await rs.push({
      '.gitlab-ci.yml': `fail:
  tags: [main]
  script: [echo before, exit 3, echo never]
  after_script: ['echo "after $CI_JOB_STATUS"']
`,
    });
    const job = only(await rs.finished(pipeline));
    const trace = await rs.trace(job);
    expect(job).toMatchObject({ status: 'failed', failure_reason: 'script_failure' });
    expect(trace).toContain('ERROR: Job failed: exit code 3');
    // GIT_STRATEGY fetch (allow_git_fetch) on the kept builds volume: the checkout is reused
    // (its .git/config is removed first, so the remote is added afresh, as gitlab-runner does).
    expect(trace).toContain(`Reinitialized existing Git repository in /builds/${rs.project.path}/.git/`);
    expect(trace).toContain('after failed');
    expect(trace).not.toContain('\nnever');
  });

  it('starts services with their aliases, waits for their ports, and builds with docker:dind', async () => {
    const { pipeline } = await rs.push({
      '.gitlab-ci.yml': `with-services:
  tags: [main]
  image: docker:28.3.3
  services:
    - name: docker:28.3.3-dind
      alias: dind-extra
      variables: { DOCKER_TLS_CERTDIR: /certs }
    - name: lab-fixture/busybox:latest
      alias: web
      entrypoint: [sh, -c]
      command: ['mkdir -p /www && echo "web $SERVICE_VAR" > /www/index.html && exec httpd -f -p 8080 -h /www']
      variables: { SERVICE_VAR: from-service }
  script:
    - getent hosts docker dind-extra web lab-fixture__busybox lab-fixture-busybox
    - exec 3<>/dev/tcp/web/8080 && printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3
    - printf 'FROM scratch\\nCOPY .gitlab-ci.yml /\\n' > Dockerfile && docker build -q -t built:1 . && docker image ls built
`,
    });
    // privileged with services_privileged and allowed_privileged_services: only dind gets the
    // privileged recipe (this machine refuses --privileged itself); busybox gets nothing extra.
    const services = await containersOf(await runningJob(pipeline, 'with-services'), 'service', 2);
    const byService = (name: string) => services.find((c) => c.Config.Labels['com.gitlab.gitlab-runner.service'] === name);
    expect(byService('docker')?.HostConfig).toMatchObject({ CapAdd: ['ALL'], CapDrop: ['SYS_RESOURCE'] });
    expect(byService('docker')?.HostConfig.SecurityOpt).toEqual(expect.arrayContaining(['seccomp=unconfined', 'apparmor=unconfined']));
    expect(byService('docker')?.HostConfig.Binds).toContain('/sys/fs/cgroup:/sys/fs/cgroup:rw');
    expect(byService('lab-fixture/busybox')?.HostConfig).toMatchObject({ Privileged: false, CapAdd: null, SecurityOpt: null });

    const job = only(await rs.finished(pipeline));
    const trace = await rs.trace(job);
    expect(job.status, trace).toBe('success');
    expect(trace).toContain('Starting service docker:28.3.3-dind...');
    expect(trace).toContain('Waiting for services to be up and running (timeout 30 seconds)...');
    // busybox exposes no port: gitlab-runner's warning, and the job goes on.
    expect(trace).toContain('*** WARNING:\x1b[0;m Service runner-');
    expect(trace).toMatch(/Service runner-\S+-lab-fixture__busybox-1 probably didn't start properly/);
    expect(trace).toContain('has no exposed ports');
    expect(trace).toContain('web from-service');
    expect(trace).toMatch(/built +1 +[0-9a-f]{12}/);
  });

  it('isolates concurrent jobs on per-build networks, and removes the networks afterwards', async () => {
    const { pipeline } = await rs.push({
      '.gitlab-ci.yml': `variables: { GIT_STRATEGY: none }
a:
  tags: [pb]
  services:
    - name: lab-fixture/busybox:latest
      alias: svc-a
      entrypoint: [sh, -c]
      command: ['mkdir -p /w && echo from-a > /w/i && exec httpd -f -p 8080 -h /w']
  script:
    - wget -qO- http://svc-a:8080/i
    - echo "network $CI_BUILD_NETWORK_NAME"
    - sleep 20
b:
  tags: [pb]
  script:
    - sleep 4
    - echo "network $CI_BUILD_NETWORK_NAME"
    - if nslookup svc-a >/dev/null 2>&1 || wget -qO- -T 3 http://svc-a:8080/i; then echo "svc-a reachable"; exit 1; fi
    - echo "svc-a is not resolvable"
`,
    });
    // While a runs: its network exists, with gitlab-runner's name and labels, and its containers
    // carry gitlab-runner's labels plus container_labels.
    const running = await runningJob(pipeline, 'a');
    // Other doubles in this run number their jobs from 1 too: the runner's id tells them apart.
    const filters = [
      '--filter',
      `label=com.gitlab.gitlab-runner.job.id=${running.id}`,
      '--filter',
      `label=com.gitlab.gitlab-runner.runner.id=${shortToken(rs.token('pb'))}`,
    ];
    const net = await waitFor(
      'the per-build network',
      async () => (await docker(['network', 'ls', ...filters, '--format', '{{.Name}}'])).stdout.trim() || undefined,
    );
    expect(net).toBe(`runner-${shortToken(rs.token('pb'))}-${rs.project.id}-0-${running.id}`.toLowerCase());
    const [build] = await containersOf(running, 'build');
    // Not privileged: nothing beyond the defaults.
    expect(build?.HostConfig).toMatchObject({ Privileged: false, CapAdd: null, CapDrop: null });
    expect(build?.Config.Labels).toMatchObject({
      'com.gitlab.gitlab-runner.job.id': String(running.id),
      'com.gitlab.gitlab-runner.project.id': String(rs.project.id),
      'com.gitlab.gitlab-runner.pipeline.id': String(pipeline),
      'com.gitlab.gitlab-runner.runner.id': shortToken(rs.token('pb')),
      'com.gitlab.gitlab-runner.managed': 'true',
      'com.gitlab.gitlab-runner.type': 'build',
      [RUN_LABEL]: runId(),
    });

    const jobs = await rs.finished(pipeline);
    const [a, b] = [byName(jobs, 'a'), byName(jobs, 'b')];
    const [ta, tb] = [await rs.trace(a), await rs.trace(b)];
    expect(a.status, ta).toBe('success');
    expect(b.status, tb).toBe('success');
    expect(ta).toContain('from-a');
    expect(tb).toContain('svc-a is not resolvable');
    const nets = [ta, tb].map((t) => /network (runner-\S+)/.exec(t)?.[1]);
    expect(nets[0]).toBe(net);
    expect(nets[1]).not.toBe(nets[0]);
    expect((await docker(['network', 'ls', ...filters, '-q'])).stdout.trim()).toBe('');
  });

  it('fails with gitlab-runner wording when an image cannot be pulled (pull_policy always)', async () => {
    const { pipeline } = await rs.push({ '.gitlab-ci.yml': 'pull:\n  tags: [always]\n  script: ["true"]\n' });
    const job = only(await rs.finished(pipeline));
    const trace = await rs.trace(job);
    expect(job).toMatchObject({ status: 'failed', failure_reason: 'runner_system_failure' });
    expect(trace).toContain('Using effective pull policy of [always] for container lab-fixture/busybox:latest');
    expect(trace).toContain('Pulling docker image lab-fixture/busybox:latest ...');
    expect(trace).toContain(
      'ERROR: Job failed: failed to pull image "lab-fixture/busybox:latest" with specified policies [always]: Error response from daemon:',
    );
  });

  it('enforces allowed_images and allowed_services with gitlab-runner messages, and links services on the default bridge', async () => {
    const { pipeline } = await rs.push({
      '.gitlab-ci.yml': `image-refused:
  tags: [allow]
  image: lab-fixture/node:latest
  script: ["true"]
service-refused:
  tags: [allow]
  services: [lab-fixture/node:latest]
  script: ["true"]
bridge-links:
  tags: [allow]
  variables: { GIT_STRATEGY: none }
  services:
    - name: lab-fixture/busybox:latest
      alias: web
      entrypoint: [sh, -c]
      command: ['mkdir -p /w && echo linked > /w/i && exec httpd -f -p 8080 -h /w']
  script: [wget -qO- http://web:8080/i, grep -w web /etc/hosts]
`,
    });
    const jobs = await rs.finished(pipeline);
    const cases: [string, string][] = [
      ['image-refused', 'images'],
      ['service-refused', 'services'],
    ];
    for (const [name, kind] of cases) {
      const job = byName(jobs, name);
      const trace = await rs.trace(job);
      expect(job).toMatchObject({ status: 'failed', failure_reason: 'runner_system_failure' });
      expect(trace).toContain(`ERROR: The "lab-fixture/node:latest" image is not present on list of allowed ${kind}:`);
      expect(trace).toContain('- lab-fixture/busybox:*');
      expect(trace).toContain("Please check runner's allowed_images configuration");
      expect(trace).toContain('ERROR: Preparation failed: disallowed image');
      expect(trace).toContain('ERROR: Job failed (system failure): disallowed image');
    }
    const linked = byName(jobs, 'bridge-links');
    const trace = await rs.trace(linked);
    expect(linked.status, trace).toBe('success');
    expect(trace).toContain('linked');
    expect(trace).toMatch(/\d+\.\d+\.\d+\.\d+\s+web/);
  });

  it('removes the containers, networks and temporary volumes of its jobs, and keeps the cache volumes', async () => {
    await waitFor('the runner to clean up', async () => ((await rs.leftovers()).length === 0 ? true : undefined), 30_000, 1000).catch(
      () => undefined,
    );
    expect(await rs.leftovers()).toEqual([]);
    // The main runner keeps its cache volumes (/cache, /certs/client, /builds), named as gitlab-runner names them.
    const kept = await docker([
      'volume',
      'ls',
      '--format',
      '{{.Name}}',
      '--filter',
      `label=com.gitlab.gitlab-runner.runner.id=${shortToken(rs.token('main'))}`,
    ]);
    const names = kept.stdout.split('\n').filter(Boolean);
    expect(names).toHaveLength(3);
    for (const n of names) expect(n).toMatch(/^runner-[0-9a-f]{32}-cache-[0-9a-f]{32}$/);
    const logs = await docker(['logs', rs.container], { reject: false });
    for (const token of Object.values(rs.tokens)) expect(`${logs.stdout}${logs.stderr}`).not.toContain(token);
  });
});
