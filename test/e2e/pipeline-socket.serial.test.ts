// A CI job in the lab builds and pushes an image with `runner.docker: socket`: the job gets
// the engine host's Docker socket, so this machine's own dockerd runs its `docker login`,
// `build` and `push`, resolving and trusting the registry the way this machine does
// (`lab hosts --write --target proxy`, `lab trust --docker`). The go-service of
// test/data/go-service is pushed with real git over HTTPS; its pipeline compiles it with
// golang:1.24-bookworm into a FROM scratch image, and this machine pulls and runs that image.
//
// SERIAL: edits /etc/hosts and /etc/docker (restored byte for byte), and runs the Go build.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { docker } from '../helpers/docker.js';
import { doctorJson, statuses } from '../helpers/doctor.js';
import { fixtureSuite } from '../helpers/fixture-lab.js';
import { HostWiring } from '../helpers/pipeline-host.js';
import { GO_SERVICE, missingJobImages, PipelineLab, type Project } from '../helpers/pipeline-lab.js';
import { SCHEMA_DIR } from '../helpers/stack.js';
import { tempDir } from '../helpers/tmp.js';

const linuxRoot = process.platform === 'linux' && process.getuid?.() === 0;
const run = (await fixtureSuite({ when: linuxRoot })) && (await missingJobImages()).length === 0;
if (!run && linuxRoot && process.env.LAB_REQUIRE_DOCKER === '1')
  throw new Error(`LAB_REQUIRE_DOCKER=1 but job images are missing: ${(await missingJobImages()).join(', ')}`);

/** GitLab's own CI schema (../shared/schemas), compiled as its README says. */
function ciValidator() {
  const schema = JSON.parse(readFileSync(`${SCHEMA_DIR}gitlab-ci.json`, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  return new Ajv({ strict: false, allErrors: true, logger: false }).compile(schema);
}

/** A pipeline that shows the job token while the job runs, base64-encoded so that the log does not mask it. */
const TOKEN_PROBE = `token-probe:
  image: docker:28.3.3
  script:
    - echo "token-b64 $(printf %s "$CI_JOB_TOKEN" | base64 -w0)"
    - git ls-remote "https://gitlab-ci-token:$CI_JOB_TOKEN@$CI_SERVER_HOST:$CI_SERVER_PORT/$CI_PROJECT_PATH.git" refs/heads/token-probe
`;

describe.runIf(run)('runner.docker: socket — jobs build and push through the engine host’s daemon', () => {
  let host: HostWiring;
  let p: PipelineLab;
  let project: Project;
  let image = '';

  beforeAll(async () => {
    host = await HostWiring.snapshot();
    p = await PipelineLab.open(tempDir, { prefix: 'ps' });
    project = await p.project('go-service');
    image = `${p.registry}/${project.path}:main`;
    await host.mapToProxy(p.lab);
  }, 600_000);

  afterAll(async () => {
    await p?.close();
    await host?.restore(p?.registry);
    expect(await host.unchanged()).toEqual({ hosts: true, docker: true });
  }, 300_000);

  it('go-service’s .gitlab-ci.yml validates against GitLab’s CI schema', () => {
    const validate = ciValidator();
    const doc = parse(readFileSync(`${GO_SERVICE}.gitlab-ci.yml`, 'utf8'), { merge: true }) as unknown;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    // The schema is strict enough to catch a broken job.
    expect(validate({ 'build-image': { script: 7 } })).toBe(false);
  });

  it('negative control: before lab trust --docker, the job’s docker login fails with x509: certificate signed by unknown authority', async () => {
    const doctor = await doctorJson(p.lab.dir);
    expect(doctor.check('runner.build'), statuses(doctor.report)).toMatchObject({ status: 'warn' });
    expect(doctor.check('runner.build').fix).toContain('trust --docker');

    // A greeting of this run's own: this machine's daemon has no build cache for it.
    const { main = '' } = await p.push(project, await tempDir('lab-pipe-git-'), { main: { 'greeting.txt': `hello from ${p.lab.name}\n` } });
    const { pipeline, jobs } = await p.finished(project, await p.pipeline(project, 'main', main));
    const [job] = jobs;
    const trace = job ? await p.trace(project, job) : '';
    expect(pipeline.status, trace).toBe('failed');
    expect(jobs.map((j) => [j.name, j.status, j.failure_reason])).toEqual([['build-image', 'failed', 'script_failure']]);
    // The registry's name resolves to the proxy (not loopback), so dockerd verifies, and fails.
    expect(trace).toContain(`$ echo "$CI_REGISTRY_PASSWORD" | docker login`);
    expect(trace).toContain('x509: certificate signed by unknown authority');
    // It failed first at the login: nothing was built.
    expect(trace).not.toContain('docker build');
  });

  it('after lab trust --docker, the pipeline compiles, builds FROM scratch and pushes; this machine pulls and runs it', async () => {
    const trust = await p.lab.lab(['trust', '--docker']);
    expect(trust.exitCode, trust.all).toBe(0);
    const doctor = await doctorJson(p.lab.dir);
    expect(doctor.check('runner.build'), statuses(doctor.report)).toMatchObject({ status: 'ok', fix: null });

    const rerun = await p.rerun(project, 'main');
    const { pipeline, jobs } = await p.finished(project, rerun);
    const [job] = jobs;
    const trace = job ? await p.trace(project, job) : '';
    p.builtHere(trace);
    expect(pipeline.status, trace).toBe('success');
    expect(trace).toContain('Login Succeeded');
    // This machine's own daemon built it.
    const self = (await docker(['info', '--format', '{{.Name}} {{.ID}}'])).stdout.trim();
    expect(trace).toContain(`builder ${self}`);
    // The Go image compiled it (a static binary: ldd finds nothing to link), then FROM scratch.
    expect(trace).toMatch(/Step \d+\/\d+ : FROM \$\{GO_IMAGE\} AS build/);
    expect(trace).toContain('RUN CGO_ENABLED=0 go build');
    expect(trace).toContain('not a dynamic executable');
    expect(trace).toMatch(/Step \d+\/\d+ : FROM scratch/);
    expect(trace).toMatch(/main: digest: sha256:[0-9a-f]{64}/);

    await p.login();
    const { answer } = await p.serve(image);
    expect(answer).toMatch(new RegExp(`^hello from ${p.lab.name} from [0-9a-f]{12}\n$`));
    // FROM scratch: one layer (the binary), no shell.
    const layers = await docker(['image', 'inspect', '--format', '{{len .RootFS.Layers}} {{.Config.User}}', image]);
    expect(layers.stdout).toBe('1 65534:65534');
  });

  it('a finished job’s token is refused: git says 401 Access denied, the registry unauthorized', async () => {
    const { 'token-probe': sha = '' } = await p.push(project, await tempDir('lab-pipe-git-'), {
      'token-probe': { '.gitlab-ci.yml': TOKEN_PROBE },
    });
    const { pipeline, jobs } = await p.finished(project, await p.pipeline(project, 'token-probe', sha));
    const [job] = jobs;
    const trace = job ? await p.trace(project, job) : '';
    expect(pipeline.status, trace).toBe('success');
    // While the job ran, the token read the repository (positive control).
    expect(trace).toContain(`${sha}\trefs/heads/token-probe`);
    const token = Buffer.from(/token-b64 ([A-Za-z0-9+/]{20,}={0,2})/.exec(trace)?.[1] ?? '', 'base64').toString();
    expect(token).toMatch(/^glcbt-/);

    const git = await p.git(['ls-remote', p.repoUrl(project, `gitlab-ci-token:${token}`)]);
    expect(git.exitCode).not.toBe(0);
    expect(git.all).toContain('HTTP Basic: Access denied');
    expect(git.all).toMatch(/(401|Authentication failed)/);

    const login = await execa('docker', ['login', p.registry, '--username', 'gitlab-ci-token', '--password-stdin'], {
      input: token,
      reject: false,
      all: true,
    });
    expect(login.exitCode).not.toBe(0);
    expect(login.all).toMatch(/unauthorized: HTTP Basic: Access denied/);
  });
});
