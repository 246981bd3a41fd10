/**
 * The GitLab bootstrap as `lab up` calls it, once Traefik and GitLab are ready: root
 * credentials in place, an admin token GitLab accepts, exactly one runner created through
 * the API, started, and in contact. Every step first checks what exists, so a re-run (or a
 * run after a crash) only does what is missing. The pieces live beside it; `prepare.ts`
 * runs before GitLab first starts, `teardown.ts` before `lab destroy` removes it.
 *
 * Secrets never enter a message, a detail or a progress line: only the secret files and
 * the stdin of an exec carry them.
 */
import type { LabModel } from '../../config/model.js';
import type { LabHttpsClient } from '../../net/https.js';
import { logDetails } from '../../util/errors.js';
import { abortError, elapsed, isAbortError } from '../../util/time.js';
import { gitlabClient } from '../client/index.js';
import { ensureAdminToken } from './admin-token.js';
import type { Exec } from './rails.js';
import { readRootPasswordOptional } from './root-password.js';
import { type ContactProbe, ensureRunner, lastContact, runnerMarker, waitForContact } from './runner-registration.js';
import { asStepError, killPoint, type StepName } from './steps.js';

/** A container lab created, as the bootstrap sees it. */
export interface ContainerRef {
  id: string;
  name: string;
}

export interface BootstrapContext {
  model: LabModel;
  /** The running, ready GitLab container. */
  gitlab: ContainerRef;
  /** Runs a command inside a container; `options.stdin` is the place for secrets, never `cmd`. */
  exec: Exec;
  /** HTTPS to the lab hosts through the proxy's published port, the lab CA pinned. */
  https(): Promise<LabHttpsClient>;
  /**
   * Renders config.toml with this token and creates or starts the runner container,
   * recreating it only if its spec changed. Idempotent. `kept`: running and left alone;
   * `restarted`: running, but restarted because config.toml changed (a new token).
   */
  startRunner(runnerToken: string): Promise<{ ref: ContainerRef; kept: boolean; restarted?: boolean }>;
  /**
   * The last `n` log lines of a container, for error details and for the runner's own
   * complaints; with `sinceStart`, only what the container's current process wrote.
   */
  lastLogLines(containerId: string, n: number, options?: { sinceStart?: boolean }): Promise<string[]>;
  /** Whether a container still runs, and how it ended if not. */
  containerState(containerId: string): Promise<{ running: boolean; exitCode: number | undefined }>;
  /** One line of progress under the "GitLab bootstrap" task. No secrets. */
  report(text: string): void;
  /** Aborted when lab gives up (another task failed); stop early when it fires. */
  signal: AbortSignal;
  /** `lab up --timeout`: the budget for each wait. */
  timeoutMs: number;
}

export interface BootstrapResult {
  runnerId: number;
  runnerToken: string;
}

/** Log lines in which a runner reports GitLab refusing its token (gitlab-runner: "…: 403 Forbidden"). */
const REJECTED = /403 Forbidden/;

export async function bootstrap(ctx: BootstrapContext): Promise<BootstrapResult> {
  const { model } = ctx;
  const paths = model.paths;
  let runnerRef: ContainerRef | undefined;

  /** Runs one step; a failure names the step and carries the involved container's last log lines. */
  const step = async <T>(name: StepName, container: () => ContainerRef | undefined, work: () => Promise<T>): Promise<T> => {
    if (ctx.signal.aborted) throw abortError();
    try {
      return await work();
    } catch (err) {
      if (ctx.signal.aborted || isAbortError(err)) throw err;
      const ref = container();
      const details = ref ? logDetails(ref.name, await ctx.lastLogLines(ref.id, 30)) : [];
      throw asStepError(name, err, details);
    }
  };
  const gitlab = () => ctx.gitlab;
  const runner = () => runnerRef;

  const password = await step('root password', gitlab, () => readRootPasswordOptional(paths.gitlabEnv));
  // The bootstrap itself never needs the password (the admin token comes from gitlab-rails).
  ctx.report(
    password === undefined ? 'root password: unknown to lab (see the note above)' : 'root password: in .lab/secrets/gitlab.env (user root)',
  );

  const http = await step('admin token', gitlab, () => ctx.https());
  const clientWith = (token: string) => gitlabClient(http, { host: model.hosts.gitlab, token, signal: ctx.signal });

  const admin = await step('admin token', gitlab, () =>
    ensureAdminToken({
      file: paths.adminToken,
      tokens: (token) => clientWith(token).tokens,
      exec: ctx.exec,
      gitlabContainerId: ctx.gitlab.id,
      timeoutMs: ctx.timeoutMs,
      report: ctx.report,
    }),
  );
  ctx.report(
    `admin token: ${admin.action === 'created' ? `created (${admin.reason ?? 'new'})` : admin.action}, valid until ${admin.expiresAt}`,
  );

  const { runners } = clientWith(admin.token);
  const registration = { model, file: paths.runnerRecord, runners, report: ctx.report };

  // The runner's own complaints end the wait early; a refused token means a new runner.
  const probe: ContactProbe = async () => {
    const ref = runnerRef;
    if (!ref) return undefined;
    const state = await ctx.containerState(ref.id);
    if (!state.running) return { rejected: false, reason: `its container stopped (exit code ${state.exitCode ?? '?'})` };
    // Only the current process counts: a runner restarted with a new token leaves the old token's refusals behind.
    const lines = await ctx.lastLogLines(ref.id, 20, { sinceStart: true });
    const refused = lines.find((l) => REJECTED.test(l));
    return refused ? { rejected: true, reason: 'GitLab refuses its token (403 Forbidden)' } : undefined;
  };

  let rejected: number | undefined;
  for (let attempt = 0; ; attempt++) {
    const ensured = await step('runner', gitlab, () => ensureRunner(registration, rejected));
    const extra = ensured.removedStale !== undefined ? `; deleted the stale runner #${ensured.removedStale}` : '';
    ctx.report(
      `runner: ${ensured.action} #${ensured.id} (${runnerMarker(model)})${ensured.reason ? ` because ${ensured.reason}` : ''}${extra}`,
    );

    // The last contact before lab acts: only a newer one proves the runner reaches GitLab now.
    const since = await step('runner', gitlab, () => lastContact(runners, ensured.id));
    const started = await step('runner start', runner, () => ctx.startRunner(ensured.token));
    runnerRef = started.ref;
    killPoint('runner:started');
    ctx.report(
      `runner start: ${runnerRef.name} ${started.kept ? 'running, unchanged' : started.restarted ? 'restarted to load its new token' : 'started'}`,
    );

    let lastTick = 0;
    const outcome = await step('runner contact', runner, () =>
      waitForContact(runners, ensured.id, {
        since,
        runnerKept: started.kept,
        timeoutMs: ctx.timeoutMs,
        signal: ctx.signal,
        probe,
        onWait: (ms, detail) => {
          if (ms - lastTick < 5000) return;
          lastTick = ms;
          ctx.report(`runner contact: ${elapsed(ms)} · ${detail}`);
        },
      }),
    );
    const ref = runnerRef;
    if (outcome.kind === 'contact') {
      ctx.report(`runner contact: #${ensured.id} reached GitLab after ${elapsed(outcome.elapsedMs)}`);
      return { runnerId: ensured.id, runnerToken: ensured.token };
    }
    // A fresh runner that GitLab refuses is not a stale token: replacing it again would loop.
    if (ensured.action !== 'reused' || attempt > 0) {
      const details = logDetails(ref.name, await ctx.lastLogLines(ref.id, 30));
      throw asStepError('runner contact', new Error(`runner #${ensured.id}: ${outcome.reason}`), details);
    }
    ctx.report(`runner contact: ${outcome.reason}; registering a new runner`);
    rejected = ensured.id;
  }
}
