/**
 * The GitLab bootstrap as `lab up` and `lab destroy` call it; the pieces live beside it
 * (password, admin-token, runner, api, rails, steps).
 *
 *   lab up       prepareSecrets() before anything is rendered or created, because GitLab
 *                seeds root from GITLAB_ROOT_PASSWORD on its first boot only; bootstrap()
 *                once Traefik and GitLab are ready.
 *   lab destroy  teardown() after the user confirmed and before any container goes, while
 *                GitLab can still delete the runner.
 *
 * Secrets never enter a message, a detail or a progress line: only the secret files and
 * the stdin of an exec carry them.
 */
import type Dockerode from 'dockerode';
import type { LabModel } from '../config/model.js';
import { firstLine } from '../engine/errors.js';
import type { LabHttpsClient } from '../engine/https.js';
import { logDetails } from '../engine/logs.js';
import { elapsed } from '../engine/progress.js';
import { abortError } from '../engine/wait.js';
import { containerName } from '../stack/services.js';
import { errorMessage } from '../util/errors.js';
import { ensureAdminToken, readAdminToken } from './admin-token.js';
import { type GitLabApi, gitlabApi } from './api.js';
import { ensureRootPassword, readRootPasswordOptional } from './password.js';
import type { Exec } from './rails.js';
import { deleteLabRunners, ensureRunner, runnerMarker, waitOnline } from './runner.js';
import { readRunnerFile } from './runner-file.js';
import { secretFiles } from './secrets.js';
import { asStepError, killPoint, type StepName } from './steps.js';

/** A container lab created, as the bootstrap sees it. */
export interface ContainerRef {
  id: string;
  name: string;
}

export interface PrepareContext {
  model: LabModel;
  /** GitLab's data volume exists already: GitLab has its root password, whatever lab would generate now. */
  gitlabDataExists: boolean;
}

export interface BootstrapContext {
  model: LabModel;
  /** The running, ready GitLab container. */
  gitlab: ContainerRef;
  /**
   * Runs a command inside a container (e.g. `gitlab-rails runner` in `gitlab.id`) and
   * returns its exit code and demultiplexed output. `options.stdin` is the place for
   * secrets (not `cmd`, which shows up in `docker inspect` of the exec).
   */
  exec: Exec;
  /**
   * HTTPS to the lab hosts through the proxy's published port, with the lab CA as the
   * only trusted CA and a lookup that maps the lab hosts to the engine's published
   * host (works without /etc/hosts entries, on remote engines and Docker Desktop).
   * Example: `(await ctx.https()).request({ host: ctx.model.hosts.gitlab, path: '/api/v4/version' })`.
   */
  https(): Promise<LabHttpsClient>;
  /**
   * Re-renders the files with this token (config.toml) and creates/starts the runner
   * container, recreating it only if its config hash changed. Idempotent. The bootstrap
   * calls it itself, because the runner must run before it can come online.
   */
  startRunner(runnerToken: string): Promise<ContainerRef>;
  /** The last `n` (default 30) log lines of a container, for error details. */
  lastLogLines(containerId: string, n?: number): Promise<string[]>;
  /** One line of live progress under the "GitLab bootstrap" task. No secrets. */
  report(text: string): void;
  /** Aborted when lab gives up (another task failed); stop early when it fires. */
  signal: AbortSignal;
  /** `lab up --timeout` in milliseconds: the budget for each wait (e.g. runner online). */
  timeoutMs: number;
}

export interface BootstrapResult {
  /** The runner authentication token (`glrt-…`) to render into config.toml. */
  runnerToken: string;
}

export interface TeardownContext {
  model: LabModel;
  docker: Dockerode;
  /** The GitLab container if it still exists (it may be stopped). */
  gitlab: ContainerRef | undefined;
  https(): Promise<LabHttpsClient>;
  report(text: string): void;
}

/** Before anything is rendered or created: the root password GitLab seeds root from. Returns notes for the user (nothing secret). */
export async function prepareSecrets(ctx: PrepareContext): Promise<string[]> {
  const files = secretFiles(ctx.model.paths);
  if (ctx.gitlabDataExists && (await readRootPasswordOptional(files)) === undefined) {
    // A new password would not be root's: GitLab seeds root only on its first boot.
    return [lostPasswordNote(ctx.model, files.gitlabEnv)];
  }
  await ensureRootPassword(files);
  return [];
}

function lostPasswordNote(model: LabModel, file: string): string {
  const container = containerName(model, 'gitlab');
  return `${file} is missing, but GitLab already has its data, so lab cannot know root's password. Reset it with \`docker exec -it ${container} gitlab-rake "gitlab:password:reset[root]"\` and save it in that file as GITLAB_ROOT_PASSWORD=<password>.`;
}

/**
 * Root credentials in place, an admin token GitLab accepts, exactly one runner created
 * through the API, started, and online. Every step first checks what exists, so a re-run
 * (or a run after a crash) only does what is missing.
 */
export async function bootstrap(ctx: BootstrapContext): Promise<BootstrapResult> {
  const { model } = ctx;
  const files = secretFiles(model.paths);
  const runnerName = containerName(model, 'runner');
  let runnerRef: ContainerRef | undefined;

  /** Runs one step; a failure names the step and carries the involved container's last log lines. */
  const step = async <T>(name: StepName, container: () => ContainerRef | undefined, work: () => Promise<T>): Promise<T> => {
    if (ctx.signal.aborted) throw abortError();
    try {
      return await work();
    } catch (err) {
      if (ctx.signal.aborted || (err instanceof Error && err.name === 'AbortError')) throw err;
      const ref = container();
      const details = ref ? logDetails(ref.name, await ctx.lastLogLines(ref.id, 30)) : [];
      throw asStepError(name, err, details);
    }
  };
  const gitlab = () => ctx.gitlab;
  const runner = () => runnerRef ?? { id: runnerName, name: runnerName };

  const password = await step('root password', gitlab, () => readRootPasswordOptional(files));
  // The bootstrap itself never needs the password (the admin token comes from gitlab-rails).
  ctx.report(
    password === undefined ? 'root password: unknown to lab (see the note above)' : 'root password: in .lab/secrets/gitlab.env (user root)',
  );

  const client = await step('admin token', gitlab, () => ctx.https());
  const apiWith = (token: string): GitLabApi => gitlabApi(client, { host: model.hosts.gitlab, token, signal: ctx.signal });

  const admin = await step('admin token', gitlab, () =>
    ensureAdminToken({
      files,
      api: apiWith,
      exec: ctx.exec,
      gitlabContainerId: ctx.gitlab.id,
      timeoutMs: ctx.timeoutMs,
      report: ctx.report,
    }),
  );
  ctx.report(
    `admin token: ${admin.action === 'created' ? `created (${admin.reason ?? 'new'})` : admin.action}, valid until ${admin.expiresAt}`,
  );

  const api = apiWith(admin.token);
  const ensured = await step('runner', gitlab, () => ensureRunner({ model, files, api, report: ctx.report }));
  const extra = ensured.removedStale !== undefined ? `; deleted the stale runner #${ensured.removedStale}` : '';
  ctx.report(
    `runner: ${ensured.action} #${ensured.id} (${runnerMarker(model)})${ensured.reason ? ` because ${ensured.reason}` : ''}${extra}`,
  );

  runnerRef = await step('runner start', runner, () => ctx.startRunner(ensured.token));
  killPoint('runner:started');
  ctx.report(`runner start: ${runnerRef.name} running`);

  let lastTick = 0;
  const waited = await step('runner online', runner, () =>
    waitOnline(api, ensured.id, {
      timeoutMs: ctx.timeoutMs,
      signal: ctx.signal,
      onWait: (ms, status) => {
        if (ms - lastTick < 5000) return;
        lastTick = ms;
        ctx.report(`runner online: ${elapsed(ms)} · GitLab reports "${status}"`);
      },
    }),
  );
  ctx.report(`runner online: #${ensured.id} online after ${elapsed(waited)}`);
  return { runnerToken: ensured.token };
}

/**
 * Before `lab destroy` removes the containers: delete this lab's runners in GitLab, so
 * nothing points at a runner that is gone. Best effort: GitLab may be stopped or broken,
 * and its data usually goes with the volumes anyway. Never throws; says what it skipped.
 */
export async function teardown(ctx: TeardownContext): Promise<void> {
  const note = (text: string) => ctx.report(`note: ${text}`);
  try {
    const files = secretFiles(ctx.model.paths);
    const [admin, stored] = await Promise.all([readAdminToken(files), readRunnerFile(files)]);
    if (!admin && !stored) return;
    const what = stored ? `runner #${stored.id}` : `the runners of ${runnerMarker(ctx.model)}`;
    if (!admin) return note(`no admin token in ${files.adminToken}; ${what} was not deleted in GitLab`);
    if (!ctx.gitlab) return note(`there is no GitLab container; ${what} was not deleted in GitLab`);
    const state = await ctx.docker
      .getContainer(ctx.gitlab.id)
      .inspect()
      .then(
        (i) => i.State,
        () => undefined,
      );
    if (!state?.Running) return note(`GitLab is not running; ${what} was not deleted in GitLab (its record goes with GitLab's data)`);
    const api = gitlabApi(await ctx.https(), { host: ctx.model.hosts.gitlab, token: admin.token, timeoutMs: 5000 });
    if (!(await api.tokenSelf())) return note(`GitLab does not accept lab's admin token; ${what} was not deleted in GitLab`);
    const deleted = await deleteLabRunners(api, ctx.model, stored);
    if (deleted.length === 0) ctx.report('GitLab: no runner of this lab to delete');
    for (const id of deleted) ctx.report(`GitLab: deleted runner #${id} (${runnerMarker(ctx.model)})`);
  } catch (err) {
    note(`could not delete the runner in GitLab (${firstLine(errorMessage(err))}); continuing`);
  }
}
