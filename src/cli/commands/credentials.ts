import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';

export interface CredentialsOptions {
  token?: boolean;
  json?: boolean;
}

/**
 * `lab credentials`: the GitLab URL, user and password; with --token the admin token too.
 * The only command that prints secrets, and only through `out.secret` (every other path
 * masks them).
 */
export default async function credentials(options: CredentialsOptions, ctx: CliContext): Promise<void> {
  const { model } = await loadLabFor(ctx);
  const { readCredentials } = await import('../../gitlab/credentials.js');
  const c = await readCredentials(model, { token: options.token === true });
  if (options.json) {
    const value = {
      url: c.url,
      user: c.user,
      password: c.password,
      ...(c.token ? { token: c.token.value, tokenExpiresAt: c.token.expiresAt } : {}),
    };
    ctx.out.secret(JSON.stringify(value, null, 2));
    return;
  }
  ctx.out.result(`URL       ${c.url}`);
  ctx.out.result(`User      ${c.user}`);
  ctx.out.secret(`Password  ${c.password}`);
  if (c.token) ctx.out.secret(`Token     ${c.token.value}  (admin, api scope, expires ${c.token.expiresAt})`);
}
