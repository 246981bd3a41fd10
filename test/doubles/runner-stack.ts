// The runner double wired to the GitLab double behind the Traefik double, as in a lab: runners
// created through POST /user/runners, a config.toml with several [[runners]] (one per tag), the
// runner container on the lab network with the host's Docker socket, and pushes with the real
// git of this machine. Job containers carry the run label through `container_labels`; what
// gitlab-runner labels only with its own labels (per-build networks, volumes) is removed by
// those labels in `stop()`.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docker } from '../helpers/docker.js';
import { RUN_LABEL, runId, runLabelArgs } from '../helpers/run-label.js';
import { tempDir } from '../helpers/tmp.js';
import type { GitlabDouble, Reply } from './gitlab-double.js';
import { waitFor } from './harness.js';

export interface RunnerDef {
  tag: string;
  /** [runners.docker] keys with their TOML values, over the defaults; `{out}` is the bind folder. */
  docker?: Record<string, string>;
  /** Extra lines for [[runners]] itself (TOML), before [runners.docker]. */
  runner?: string;
  /** Lines for [runners.feature_flags]. */
  flags?: string;
  /** Join the lab network (network_mode); false leaves network_mode unset. */
  labNetwork?: boolean;
}

export interface Job {
  id: number;
  name: string;
  status: string;
  failure_reason?: string;
}

// The gitlab-runner short token of a glrt- token (helpers/shorten_token.go).
export const shortToken = (t: string) => t.replace(/^glrt-(t[123]_)?/, '').slice(0, 9);

export class RunnerStack {
  container = '';
  out = '';
  work = '';
  tokens: Record<string, string> = {};
  project = { id: 0, path: '' };

  constructor(readonly gl: GitlabDouble) {}

  /** A group and an empty project, then a local repository that pushes to it. */
  async createProject(group: string, name: string): Promise<void> {
    const g = await this.gl.api('/groups', { method: 'POST', body: { name: group, path: group } });
    if (g.status !== 201) throw new Error(`POST /groups ${g.status} ${g.text}`);
    const p = await this.gl.api('/projects', { method: 'POST', body: { name, path: name, namespace_id: g.json.id } });
    if (p.status !== 201) throw new Error(`POST /projects ${p.status} ${p.text}`);
    this.project = { id: p.json.id, path: p.json.path_with_namespace };
    this.work = await tempDir('lab-rj-work-');
    await this.git(['init', '-q', '-b', 'main']);
  }

  git(args: string[]) {
    return this.gl.git(['-c', 'user.name=Lab Test', '-c', 'user.email=lab@example.com', ...args], { cwd: this.work });
  }

  /** Commits `files` and pushes main with real git; returns the new commit's pipeline. */
  async push(files: Record<string, string>): Promise<{ sha: string; pipeline: number }> {
    for (const [name, content] of Object.entries(files)) await writeFile(join(this.work, name), content);
    await this.git(['add', '-A']);
    await this.git(['commit', '-q', '-m', `ci ${Date.now()}`]);
    const pushed = await this.git(['push', '-q', this.gl.url(`${this.project.path}.git`, 'root', this.gl.adminToken), 'HEAD:main']);
    if (pushed.exitCode !== 0) throw new Error(`git push: ${pushed.stderr}`);
    const sha = (await this.git(['rev-parse', 'HEAD'])).stdout.trim();
    const pipeline = await waitFor('the pipeline of the push', async () => {
      const r = await this.gl.api(`/projects/${this.project.id}/pipelines?sha=${sha}`);
      return r.json?.[0]?.id as number | undefined;
    });
    return { sha, pipeline };
  }

  /** The pipeline's jobs once all of them are finished. */
  async finished(pipeline: number, timeoutMs = 120_000): Promise<Job[]> {
    return waitFor(
      'the jobs to finish',
      async () => {
        const jobs = (await this.gl.api(`/projects/${this.project.id}/pipelines/${pipeline}/jobs`)).json as Job[];
        if (!jobs.length) {
          const p = (await this.gl.api(`/projects/${this.project.id}/pipelines/${pipeline}`)).json;
          if (p.yaml_errors) throw new Error(`pipeline ${pipeline}: ${p.yaml_errors}`);
        }
        return jobs.length && jobs.every((j) => ['success', 'failed', 'canceled', 'skipped'].includes(j.status)) ? jobs : undefined;
      },
      timeoutMs,
      1000,
    );
  }

  async trace(job: Job): Promise<string> {
    return (await this.gl.api(`/projects/${this.project.id}/jobs/${job.id}/trace`)).text;
  }

  /** The runner authentication token of the runner with `tag`. */
  token(tag: string): string {
    const t = this.tokens[tag];
    if (!t) throw new Error(`no runner ${tag}`);
    return t;
  }

  api(path: string): Promise<Reply> {
    return this.gl.api(path);
  }

  /** Creates one runner per definition and starts the runner double with their config.toml. */
  async start(defs: RunnerDef[], concurrent = 4): Promise<void> {
    const dir = await tempDir('lab-rj-runner-');
    this.out = join(dir, 'out');
    await mkdir(join(dir, 'config'));
    await mkdir(this.out, { mode: 0o777 });
    const blocks: string[] = [];
    for (const d of defs) {
      const r = await this.gl.api('/user/runners', {
        method: 'POST',
        body: { runner_type: 'instance_type', tag_list: d.tag, run_untagged: false },
      });
      if (r.status !== 201) throw new Error(`POST /user/runners ${r.status} ${r.text}`);
      this.tokens[d.tag] = r.json.token;
      blocks.push(
        [
          '[[runners]]',
          `name = "${d.tag}"`,
          `url = "${this.gl.externalUrl}"`,
          `token = "${r.json.token}"`,
          'executor = "docker"',
          'tls-ca-file = "/etc/lab/ca.pem"',
          d.runner ?? '',
          '[runners.docker]',
          ...Object.entries({
            image: '"lab-fixture/busybox:latest"',
            ...(d.labNetwork === false ? {} : { network_mode: `"${this.gl.net}"` }),
            extra_hosts: `["${this.gl.host}:${this.gl.proxyIp}"]`,
            pull_policy: '["if-not-present"]',
            disable_cache: 'true',
            ...d.docker,
          }).map(([k, v]) => `${k} = ${v.replaceAll('{out}', this.out)}`),
          '[runners.docker.container_labels]',
          `"${RUN_LABEL}" = "${runId()}"`,
          d.flags ? `[runners.feature_flags]\n${d.flags}` : '',
        ].join('\n'),
      );
    }
    await writeFile(join(dir, 'config', 'config.toml'), `concurrent = ${concurrent}\ncheck_interval = 1\n\n${blocks.join('\n\n')}\n`, {
      mode: 0o600,
    });
    this.container = `${this.gl.name}-runner`;
    await docker([
      'run',
      '-d',
      '--name',
      this.container,
      ...runLabelArgs(),
      '--network',
      this.gl.net,
      '--add-host',
      `${this.gl.host}:${this.gl.proxyIp}`,
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      '-v',
      `${join(dir, 'config')}:/etc/gitlab-runner`,
      '-v',
      `${this.gl.caFile}:/etc/lab/ca.pem:ro`,
      'lab-fixture/runner',
    ]);
    await waitFor('the runners online', async () => {
      const online = (await this.gl.api('/runners/all?status=online')).json as unknown[];
      return online.length >= defs.length ? true : undefined;
    });
  }

  /** What the runner double created and should have removed: containers, networks, temporary volumes. */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    const lines = async (args: string[]) => (await docker(args, { reject: false })).stdout.split('\n').filter(Boolean);
    for (const token of Object.values(this.tokens)) {
      const filter = ['--filter', `label=com.gitlab.gitlab-runner.runner.id=${shortToken(token)}`];
      for (const id of await lines(['ps', '-aq', ...filter])) found.push(`container:${id}`);
      for (const id of await lines(['network', 'ls', '-q', ...filter])) found.push(`network:${id}`);
      for (const line of await lines(['volume', 'ls', ...filter, '--format', '{{.Name}} {{.Label "com.gitlab.gitlab-runner.reusable"}}'])) {
        const [name, reusable] = line.split(' ');
        if (reusable !== 'true') found.push(`volume:${name}`);
      }
    }
    return found;
  }

  async stop(): Promise<void> {
    if (this.container) await docker(['rm', '-f', '-v', this.container], { reject: false });
    for (const token of Object.values(this.tokens)) {
      const filter = ['--filter', `label=com.gitlab.gitlab-runner.runner.id=${shortToken(token)}`];
      const ids = (await docker(['ps', '-aq', ...filter], { reject: false })).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', '-v', ...ids], { reject: false });
      for (const n of (await docker(['network', 'ls', '-q', ...filter], { reject: false })).stdout.split('\n').filter(Boolean)) {
        await docker(['network', 'rm', n], { reject: false });
      }
      const vols = (await docker(['volume', 'ls', '-q', ...filter], { reject: false })).stdout.split('\n').filter(Boolean);
      if (vols.length) await docker(['volume', 'rm', '-f', ...vols], { reject: false });
    }
  }
}
