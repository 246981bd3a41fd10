import { readAdminToken } from '../../gitlab/bootstrap/admin-token.js';
import { readRunnerRecord } from '../../gitlab/bootstrap/runner-record.js';
import { CONTACT_WINDOW_MS } from '../../gitlab/bootstrap/runner-registration.js';
import { GitLabApiError, gitlabClient } from '../../gitlab/client/index.js';
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
 * The runner lab registered is in contact with GitLab now: its last contact is recent by
 * GitLab's own clock. GitLab's `online` status is not enough: it means any contact in the
 * last two hours, which a runner cut off a minute ago still has.
 * https://docs.gitlab.com/api/runners/#get-runners-details
 */
export const runnerCheck: DoctorCheck = {
  id: 'runner.contact',
  title: 'runner in contact with GitLab',
  needs: [READINESS_CHECK],
  async run(ctx, signal) {
    const { paths } = ctx.model;
    const runnerPath = paths.runnerRecord;
    const [runner, admin] = await Promise.all([
      look(() => readRunnerRecord(paths.runnerRecord)),
      look(() => readAdminToken(paths.adminToken)),
    ]);
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
    const client = gitlabClient(await labClientFor(ctx), {
      host: ctx.model.hosts.gitlab,
      token: admin.value.token,
      signal,
      timeoutMs: 4000,
    });
    let found: { contactedAt: string | null; serverNow: number } | undefined;
    try {
      found = await client.runners.contact(id);
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
    const fix = `Look at \`${ctx.lab('logs runner')}\` (a certificate, name or token problem shows there), then run \`${ctx.lab('up')}\`.`;
    if (found.contactedAt === null) return { status: 'fail', detail: `runner ${id} has never contacted GitLab`, fix };
    const ago = Math.max(0, Math.round((found.serverNow - Date.parse(found.contactedAt)) / 1000));
    if (ago * 1000 <= CONTACT_WINDOW_MS) return { status: 'ok', detail: `runner ${id} contacted GitLab ${ago} s ago` };
    return {
      status: 'fail',
      detail: `runner ${id} last contacted GitLab ${ago} s ago: it polls every few seconds when it can reach GitLab`,
      fix,
    };
  },
};
