import type { LabModel } from '../../config/model.js';
import type { LabHttpsClient } from '../../net/https.js';
import { errorMessage, firstLine } from '../../util/errors.js';
import { gitlabClient } from '../client/index.js';
import { readAdminToken } from './admin-token.js';
import { readRunnerRecord } from './runner-record.js';
import { deleteLabRunners, runnerMarker } from './runner-registration.js';

export interface TeardownContext {
  model: LabModel;
  /** Whether the GitLab container exists and runs: only then can it delete anything. */
  gitlab: 'running' | 'stopped' | 'missing';
  https(): Promise<LabHttpsClient>;
  report(text: string): void;
}

/**
 * Before `lab destroy` removes the containers: delete this lab's runners in GitLab, so
 * nothing points at a runner that is gone. Best effort: GitLab may be stopped or broken,
 * and its data usually goes with the volumes anyway. Never throws; says what it skipped.
 */
export async function teardown(ctx: TeardownContext): Promise<void> {
  const note = (text: string) => ctx.report(`note: ${text}`);
  const paths = ctx.model.paths;
  try {
    const [admin, stored] = await Promise.all([readAdminToken(paths.adminToken), readRunnerRecord(paths.runnerRecord)]);
    if (!admin && !stored) return;
    const what = stored ? `runner #${stored.id}` : `the runners of ${runnerMarker(ctx.model)}`;
    if (!admin) return note(`no admin token in ${paths.adminToken}; ${what} was not deleted in GitLab`);
    if (ctx.gitlab === 'missing') return note(`there is no GitLab container; ${what} was not deleted in GitLab`);
    if (ctx.gitlab === 'stopped')
      return note(`GitLab is not running; ${what} was not deleted in GitLab (its record goes with GitLab's data)`);
    const client = gitlabClient(await ctx.https(), { host: ctx.model.hosts.gitlab, token: admin.token, timeoutMs: 5000 });
    if (!(await client.tokens.self())) return note(`GitLab does not accept lab's admin token; ${what} was not deleted in GitLab`);
    const deleted = await deleteLabRunners(client.runners, ctx.model);
    if (deleted.length === 0) ctx.report('GitLab: no runner of this lab to delete');
    for (const id of deleted) ctx.report(`GitLab: deleted runner #${id} (${runnerMarker(ctx.model)})`);
  } catch (err) {
    note(`could not delete the runner in GitLab (${firstLine(errorMessage(err))}); continuing`);
  }
}
