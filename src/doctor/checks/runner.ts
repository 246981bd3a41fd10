import { readAdminToken } from '../../gitlab/admin-token.js';
import { GitLabApiError, gitlabApi, type RunnerSummary } from '../../gitlab/api.js';
import { readRunnerFile } from '../../gitlab/runner-file.js';
import { secretFiles } from '../../gitlab/secrets.js';
import { errorMessage } from '../../util/errors.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { labClientFor, READINESS_CHECK, transportFailure } from './readiness.js';

type Read<T> = { kind: 'absent' } | { kind: 'bad'; why: string } | { kind: 'ok'; value: T };

/** Doctor only looks: a damaged file is a finding, not an exception. */
async function look<T>(read: () => Promise<T | undefined>): Promise<Read<T>> {
  try {
    const value = await read();
    return value === undefined ? { kind: 'absent' } : { kind: 'ok', value };
  } catch (err) {
    return { kind: 'bad', why: errorMessage(err) };
  }
}

function apiFailure(ctx: DoctorContext, id: number, err: GitLabApiError): CheckOutcome {
  if (err.status === 401)
    return {
      status: 'fail',
      detail: `GitLab rejected lab's admin token (401) when asked about runner ${id}`,
      fix: `Run \`${ctx.lab('up')}\`: it replaces an expired or revoked admin token.`,
    };
  if (err.status === 403)
    return {
      status: 'fail',
      detail: `lab's admin token may not read runner ${id} (403)`,
      fix: `Run \`${ctx.lab('up')}\` to recreate the admin token with the api scope.`,
    };
  return { status: 'fail', detail: err.message, fix: `Check \`${ctx.lab('logs gitlab')}\`.` };
}

/**
 * The runner lab registered is `online` in GitLab: it has polled for jobs recently.
 * https://docs.gitlab.com/api/runners/#get-runners-details
 */
export const runnerCheck: DoctorCheck = {
  id: 'runner.online',
  title: 'runner online',
  needs: [READINESS_CHECK],
  async run(ctx, signal) {
    const { paths } = ctx.model;
    const files = secretFiles(paths);
    const runnerPath = files.runner;
    const [runner, admin] = await Promise.all([look(() => readRunnerFile(files)), look(() => readAdminToken(files))]);
    if (runner.kind === 'absent')
      return {
        status: 'warn',
        detail: `no runner is registered yet (no ${runnerPath})`,
        fix: `Run \`${ctx.lab('up')}\` without --skip-runner: it registers and starts the runner.`,
      };
    if (runner.kind === 'bad')
      return { status: 'fail', detail: runner.why, fix: `Move it away and run \`${ctx.lab('up')}\` to register the runner again.` };
    if (admin.kind !== 'ok') {
      const why = admin.kind === 'absent' ? 'there is no admin token' : admin.why;
      return {
        status: 'warn',
        detail: `runner ${runner.value.id} is registered, but doctor cannot ask GitLab about it: ${why}`,
        fix: `Run \`${ctx.lab('up')}\`: it creates the admin token.`,
      };
    }
    const { id } = runner.value;
    const client = await labClientFor(ctx);
    const api = gitlabApi(client, { host: ctx.model.hosts.gitlab, token: admin.value.token, signal, timeoutMs: 4000 });
    let found: RunnerSummary | undefined;
    try {
      found = await api.runner(id);
    } catch (err) {
      if (err instanceof GitLabApiError && err.status !== 0) return apiFailure(ctx, id, err);
      return transportFailure(ctx, `https://${ctx.model.hosts.gitlab}:${ctx.model.ports.https}/api/v4/runners/${id}`, err);
    }
    if (!found)
      return {
        status: 'fail',
        detail: `GitLab has no runner ${id} (404): it was deleted, or GitLab's data was reset`,
        fix: `Move ${runnerPath} away and run \`${ctx.lab('up')}\` to register a new runner.`,
      };
    const name = found.description ? `runner ${id} (${found.description})` : `runner ${id}`;
    if (found.status === 'online') return { status: 'ok', detail: `${name} is online` };
    const why = found.status === 'never_contacted' ? 'has never contacted GitLab' : `is ${found.status}`;
    return {
      status: 'fail',
      detail: `${name} ${why}`,
      fix: `Look at \`${ctx.lab('logs runner')}\` (a certificate or name problem shows there), then run \`${ctx.lab('up')}\`.`,
    };
  },
};
