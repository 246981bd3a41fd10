// CI jobs in the lab build and push images with `runner.docker: remote`: jobs get
// DOCKER_HOST=tcp://builder.<domain>:<port> and the client certificate `lab up` mints from the
// lab CA; the builder is a TLS engine started with the flags and server certificate of
// `lab certs --builder builder`, reached from the jobs' own networks through the engine host
// (`runner.remote.address`). No job is privileged and none sees a socket. The builder's dockerd
// pushes to the lab registry itself, trusting the lab CA that `lab trust --docker` put into its
// certs.d through the Engine API.
//
// SERIAL: edits /etc/hosts (the lab's names, and builder.<domain> for this machine) and
// /etc/docker, restored byte for byte; runs a Go build on a second dockerd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, freePort } from '../helpers/docker.js';
import { doctorJson, statuses } from '../helpers/doctor.js';
import { fixtureSuite } from '../helpers/fixture-lab.js';
import { type Builder, hostGateway, mintBuilderCerts, remoteRunnerLines, startBuilder } from '../helpers/pipeline-builder.js';
import { HostWiring } from '../helpers/pipeline-host.js';
import { type Job, missingJobImages, PipelineLab, type Project } from '../helpers/pipeline-lab.js';
import { tempDir } from '../helpers/tmp.js';

const linuxRoot = process.platform === 'linux' && process.getuid?.() === 0;
const dind = (await docker(['image', 'inspect', 'lab-fixture/dind'], { reject: false })).exitCode === 0;
const run = (await fixtureSuite({ when: linuxRoot })) && (await missingJobImages()).length === 0 && dind;
if (!run && linuxRoot && process.env.LAB_REQUIRE_DOCKER === '1')
  throw new Error('LAB_REQUIRE_DOCKER=1 but job images or lab-fixture/dind are missing');

/** A job that talks to the builder with the jobs' certificate, then without any. */
const BUILDER_PROBE = `builder-probe:
  image: docker:28.3.3
  script:
    - docker version --format 'with the certificate - server {{.Server.Version}}'
    - mkdir -p /tmp/anonymous && cp "$DOCKER_CERT_PATH/ca.pem" /tmp/anonymous/
    - DOCKER_CERT_PATH=/tmp/anonymous docker version --format 'without a certificate - server {{.Server.Version}}'
`;

describe.runIf(run)('runner.docker: remote — jobs build on a TLS engine with the lab’s client certificate', () => {
  let host: HostWiring;
  let p: PipelineLab;
  let builder: Builder;
  let project: Project;
  const first = (jobs: Job[]) => jobs[0] as Job;

  beforeAll(async () => {
    host = await HostWiring.snapshot();
    const gateway = await hostGateway();
    const port = await freePort();
    let certs = { dir: '', dockerd: [] as string[] };
    p = await PipelineLab.open(tempDir, {
      prefix: 'pr',
      runner: (lab) => remoteRunnerLines(lab, gateway, port),
      beforeUp: async (lab) => {
        certs = await mintBuilderCerts(lab);
      },
    });
    project = await p.project('go-service');
    // This machine reaches the builder where jobs do (lab doctor and lab trust connect to it).
    await host.addHost(gateway, `builder.${p.lab.domain}`);
    await host.mapToProxy(p.lab);
    builder = await startBuilder(p.lab, certs, { gateway, port, images: ['golang:1.24-bookworm'] });
    const trust = await p.lab.lab(['trust', '--docker']);
    expect(trust.exitCode, trust.all).toBe(0);
    expect(trust.all).toContain(`docker builder.${p.lab.domain}:/etc/docker/certs.d/${p.registry}/ca.crt`);
  }, 900_000);

  afterAll(async () => {
    await builder?.stop();
    await p?.close();
    await host?.restore(p?.registry);
    expect(await host.unchanged()).toEqual({ hosts: true, docker: true });
  }, 300_000);

  it('lab doctor --json reports runner.build ok: the builder answers the jobs’ certificate and refuses clients without one', async () => {
    const doctor = await doctorJson(p.lab.dir);
    expect(doctor.check('runner.build'), statuses(doctor.report)).toMatchObject({
      status: 'ok',
      detail: `remote: ${builder.host} answers jobs' client certificate and refuses clients without one`,
    });
  });

  it('the pipeline builds on the builder, which pushes; this machine pulls and runs the image', async () => {
    const { main = '' } = await p.push(project, await tempDir('lab-pipe-git-'), { main: {} });
    const { pipeline, jobs } = await p.finished(project, await p.pipeline(project, 'main', main));
    const trace = await p.trace(project, first(jobs));
    expect(pipeline.status, trace).toBe('success');
    expect(first(jobs).name).toBe('build-image');
    // The builder's daemon did the work (its host name is "builder"), the Go image it had.
    const id = (await builder.docker(['info', '--format', '{{.ID}}'])).stdout.trim();
    expect(trace).toContain(`builder builder ${id}`);
    expect(trace).toContain('not a dynamic executable');
    expect(trace).toMatch(/main: digest: sha256:[0-9a-f]{64}/);

    const image = `${p.registry}/${project.path}:main`;
    expect((await builder.docker(['image', 'inspect', image], { reject: false })).exitCode).toBe(0);
    expect((await docker(['image', 'inspect', image], { reject: false })).exitCode).not.toBe(0);
    await p.login();
    expect((await p.serve(image)).answer).toMatch(/^hello from go-service from [0-9a-f]{12}\n$/);
  });

  it('negative control: the builder refuses a job’s client without a certificate in the TLS handshake', async () => {
    const { 'builder-probe': sha = '' } = await p.push(project, await tempDir('lab-pipe-git-'), {
      'builder-probe': { '.gitlab-ci.yml': BUILDER_PROBE },
    });
    const { jobs } = await p.finished(project, await p.pipeline(project, 'builder-probe', sha));
    const trace = await p.trace(project, first(jobs));
    expect(first(jobs), trace).toMatchObject({ status: 'failed', failure_reason: 'script_failure' });
    expect(trace).toMatch(/with the certificate - server \d+\.\d+\.\d+/);
    // dockerd --tlsverify requires a client certificate signed by the lab CA.
    expect(trace).toContain('remote error: tls: bad certificate');
    expect(trace).not.toMatch(/without a certificate - server \d/);
  });
});
