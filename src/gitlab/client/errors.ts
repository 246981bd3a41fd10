import { LabError } from '../../util/errors.js';

/**
 * A GitLab API call that did not get the answer it needed. It is a LabError, so a
 * command that lets one escape prints it with a hint, never as a bug.
 */
export class GitLabApiError extends LabError {
  constructor(
    readonly method: string,
    readonly path: string,
    /** 0 when no HTTP answer arrived at all. */
    readonly status: number,
    /** GitLab's own words (`message`, `error`), when it sent any. */
    readonly detail: string,
  ) {
    super(`${method} /api/v4${path} ${status === 0 ? 'failed' : `answered ${status}`}${detail ? `: ${detail}` : ''}`, {
      hint: hintFor(status),
    });
    this.name = 'GitLabApiError';
  }
}

// https://docs.gitlab.com/api/rest/troubleshooting/#status-codes
function hintFor(status: number): string {
  if (status === 0) return 'GitLab did not answer: check `lab status` and `lab doctor`, then try again.';
  if (status === 401) return "GitLab does not accept lab's token (unknown, expired or revoked): run `lab up`, which renews it.";
  if (status === 403)
    return "The token may not do this (a missing scope or permission); `lab up` recreates lab's admin token with the api scope.";
  if (status === 404) return 'GitLab does not know it (or hides it from this token): check the name, or whether it was deleted.';
  if (status === 409 || status === 400 || status === 422) return 'GitLab refused the request as it stands; the message above says why.';
  if (status === 429) return 'GitLab is rate-limiting or still migrating; wait a moment and run the command again.';
  if (status >= 500) return 'GitLab failed: `lab logs gitlab` shows why; run the command again once it is healthy.';
  return 'See `lab logs gitlab`.';
}
