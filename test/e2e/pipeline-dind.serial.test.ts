// CI jobs in the lab build and push images with `runner.docker: dind`: each job starts a
// docker:28.3.3-dind service of its own (TLS, the client certificates in the shared
// /certs/client volume), on a network of its own, and only that service runs privileged.
// Two pipelines run at once and neither sees the other's daemon, network or image.
//
// The service's daemon reaches the registry and GitLab through `host-gateway`, which on this
// engine is 172.17.0.1: the nested dockerd's own default bridge would take that address,
// unless lab's dind-daemon.json (mounted as its /etc/docker/daemon.json) moves it away.
//
// The dind daemon starts empty and nothing can be pulled from Docker Hub here, so the Go image
// is copied into the project's own registry first and the project passes it as GO_IMAGE
// (go-service's Dockerfile takes it as a build argument): each job's daemon pulls it from the
// lab registry, resolving the registry through the job's extra_hosts and trusting it through
// the mounted certs.d, as it pushes.
//
// SERIAL: edits /etc/hosts and /etc/docker (restored byte for byte), and runs two Go builds.
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../helpers/docker.js';
import { doctorJson, statuses } from '../helpers/doctor.js';
import { fixtureSuite } from '../helpers/fixture-lab.js';
import { HostWiring } from '../helpers/pipeline-host.js';
import { type Job, missingJobImages, PipelineLab, type Project } from '../helpers/pipeline-lab.js';
import { tempDir } from '../helpers/tmp.js';

const linuxRoot = process.platform === 'linux' && process.getuid?.() === 0;
const run = (await fixtureSuite({ when: linuxRoot })) && (await missingJobImages()).length === 0;
if (!run && linuxRoot && process.env.LAB_REQUIRE_DOCKER === '1')
  throw new Error(`LAB_REQUIRE_DOCKER=1 but job images are missing: ${(await missingJobImages()).join(', ')}`);

const GO_IMAGE = 'golang:1.24-bookworm';

interface Seen {
  job: string;
  type: string;
  privileged: boolean;
  capAdd: string[];
  networks: Record<string, { Aliases: string[] | null }>;
}

/**
 * The containers of these jobs, as this machine's engine shows them now, by gitlab-runner's
 * `job.url` label (unique to this lab: other labs' jobs may have the same ids).
 */
async function containersOf(jobs: Job[]): Promise<Seen[]> {
  const ids: string[] = [];
  for (const job of jobs) {
    const filter = ['--filter', `label=com.gitlab.gitlab-runner.job.url=${job.web_url}`];
    ids.push(...(await docker(['ps', '-q', ...filter], { reject: false })).stdout.split('\n').filter(Boolean));
  }
  if (ids.length === 0) return [];
  const r = await docker(['inspect', ...ids], { reject: false });
  if (r.exitCode !== 0) return [];
  return (
    JSON.parse(r.stdout) as {
      Config: { Labels: Record<string, string> };
      HostConfig: { Privileged: boolean; CapAdd: string[] | null };
      NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
    }[]
  ).map((c) => ({
    job: c.Config.Labels['com.gitlab.gitlab-runner.job.id'] ?? '',
    type: c.Config.Labels['com.gitlab.gitlab-runner.type'] ?? '',
    privileged: c.HostConfig.Privileged,
    capAdd: c.HostConfig.CapAdd ?? [],
    networks: c.NetworkSettings.Networks,
  }));
}

describe.runIf(run)('runner.docker: dind — each job builds in a docker:dind service of its own', () => {
  let host: HostWiring;
  let p: PipelineLab;
  let project: Project;
  let mirror = '';

  beforeAll(async () => {
    host = await HostWiring.snapshot();
    p = await PipelineLab.open(tempDir, { prefix: 'pd', runner: ['  docker: dind'] });
    project = await p.project('go-service');
    // This machine pushes the Go image and pulls the results: it must resolve and trust the registry.
    await host.mapToProxy(p.lab);
    const trust = await p.lab.lab(['trust', '--docker']);
    if (trust.exitCode !== 0) throw new Error(`lab trust --docker failed:\n${trust.all}`);
    await p.login();
    mirror = `${p.registry}/${project.path}/golang:1.24-bookworm`;
    await docker(['tag', GO_IMAGE, mirror]);
    const started = Date.now();
    const pushed = await execa('docker', ['push', mirror], { reject: false, all: true, timeout: 900_000 });
    await docker(['rmi', mirror], { reject: false });
    if (pushed.exitCode !== 0) throw new Error(`docker push ${mirror} failed:\n${pushed.all}`);
    process.stderr.write(`pipeline-dind: the Go image went into the lab registry in ${Date.now() - started} ms\n`);
    await p.variable(project, 'BUILD_WITH_DIND', 'true');
    await p.variable(project, 'GO_IMAGE', mirror);
  }, 1_200_000);

  afterAll(async () => {
    await p?.close();
    await host?.restore(p?.registry);
    expect(await host.unchanged()).toEqual({ hosts: true, docker: true });
  }, 300_000);

  it('lab doctor --json reports runner.build ok for dind', async () => {
    const doctor = await doctorJson(p.lab.dir);
    expect(doctor.check('runner.build'), statuses(doctor.report)).toMatchObject({ status: 'ok', fix: null });
    expect(doctor.check('runner.build').detail).toMatch(/^dind: /);
  });

  it('two pipelines at once: each job has its own docker service on its own network, and pushes its own image', async () => {
    const shas = await p.push(project, await tempDir('lab-pipe-git-'), {
      main: {},
      second: { 'greeting.txt': 'hello from the second branch\n' },
    });
    const pipelines = await Promise.all(['main', 'second'].map((ref) => p.pipeline(project, ref, shas[ref] ?? '')));

    // Watch the jobs' containers from the outside while the pipelines run.
    const pending = (await Promise.all(pipelines.map((pl) => p.jobs(project, pl)))).flat();
    const seen = new Map<string, Seen>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const c of await containersOf(pending)) seen.set(`${c.job} ${c.type}`, c);
        await new Promise((r) => setTimeout(r, 1500));
      }
    })();
    const results = await Promise.all(pipelines.map((pl) => p.finished(project, pl, 1_500_000))).finally(() => {
      watching = false;
    });
    await watch;

    const jobs = results.map((r) => r.jobs[0] as Job);
    const traces = await Promise.all(jobs.map((j) => p.trace(project, j)));
    results.forEach((r, i) => {
      expect(r.pipeline.status, traces[i]).toBe('success');
    });
    expect(jobs.map((j) => j.name)).toEqual(['build-image:dind', 'build-image:dind']);
    const [a, b] = jobs.map((j) => ({ start: Date.parse(j.started_at ?? ''), end: Date.parse(j.finished_at ?? '') }));
    // They ran at the same time (concurrent = 2).
    expect(a && b && a.start < b.end && b.start < a.end, JSON.stringify(jobs)).toBe(true);

    // Each daemon is a different one, not this machine's, and holds only its own job's image.
    const self = (await docker(['info', '--format', '{{.ID}}'])).stdout.trim();
    const daemons = traces.map(
      (t) =>
        /builder \S+ (\S+)/.exec(
          t
            .split('\n')
            .filter((l) => !l.includes('$ docker info'))
            .join('\n'),
        )?.[1],
    );
    expect(new Set(daemons).size, JSON.stringify(daemons)).toBe(2);
    expect(daemons).not.toContain(self);
    const image = (ref: string) => `${p.registry}/${project.path}:${ref}`;
    expect(traces[0]).toContain(`holds ${image('main')}`);
    expect(traces[0]).not.toContain(`holds ${image('second')}`);
    expect(traces[1]).toContain(`holds ${image('second')}`);
    expect(traces[1]).not.toContain(`holds ${image('main')}`);
    for (const t of traces) {
      expect(t).toContain('Starting service docker:28.3.3-dind...');
      // Each daemon fetched the Go image from the lab registry, then built FROM scratch.
      expect(t).toContain(`Pulling from ${project.path}/golang`);
      expect(t).toContain('not a dynamic executable');
      expect(t).toMatch(/: digest: sha256:[0-9a-f]{64}/);
    }

    // Seen from the engine: one dind service per job, each the only `docker` on a network of
    // its own; the service has the privileged treatment (here: this machine's capability
    // recipe, see fixtures/README.md), the job's own container none.
    const services = [...seen.values()].filter((c) => c.type === 'service');
    expect(services.map((c) => c.job).sort()).toEqual(jobs.map((j) => String(j.id)).sort());
    for (const service of services) {
      const names = Object.keys(service.networks);
      expect(names, JSON.stringify(service)).toHaveLength(1);
      expect(names[0]).toMatch(/^runner-/);
      expect(service.networks[names[0] ?? '']?.Aliases).toContain('docker');
      expect(service.privileged || service.capAdd.includes('ALL')).toBe(true);
    }
    expect(new Set(services.flatMap((c) => Object.keys(c.networks))).size).toBe(2);
    const builds = [...seen.values()].filter((c) => c.type === 'build');
    expect(builds.length).toBe(2);
    for (const build of builds) expect([build.privileged, build.capAdd]).toEqual([false, []]);

    // This machine pulls both, and each answers with its own branch's greeting.
    expect((await p.serve(image('main'))).answer).toMatch(/^hello from go-service from [0-9a-f]{12}\n$/);
    expect((await p.serve(image('second'))).answer).toMatch(/^hello from the second branch from [0-9a-f]{12}\n$/);
  }, 1_800_000);
});
