import { randomBytes } from 'node:crypto';
import * as v from 'valibot';
import { fail } from '../../util/errors.js';
import { readJsonSecret, writeJsonSecret } from '../../util/secret-files.js';
import { registerSecret } from '../../util/secrets.js';
import type { TokenInfo, TokensApi } from '../tokens.js';
import { checkedRubyString, type Exec, railsRunner } from './rails.js';
import { killPoint } from './steps.js';

/**
 * lab's admin personal access token for root. lab generates the value, stores it first
 * (state "pending"), then has GitLab create it with the documented snippet, confirms it
 * through the API and marks it "active". A crash anywhere in between leaves a pending
 * token that the next run either finds valid (and confirms) or finds unknown (and
 * replaces): the value is never only in GitLab, and never lost.
 */
export const ADMIN_TOKEN_NAME = 'lab-admin';
/**
 * `api` covers every call lab makes: creating instance runners (`api` or `create_runner`),
 * listing and deleting them (`api` or `manage_runner`) and the token's own record; and it
 * is what a user of `lab credentials --token` wants for scripting the lab.
 * https://docs.gitlab.com/user/profile/personal_access_tokens/#personal-access-token-scopes
 */
export const ADMIN_TOKEN_SCOPES = ['api'] as const;
/** At most 30 days, as the issue asks; renewed when fewer than 3 days are left. */
const LIFETIME_DAYS = 30;
const RENEW_BEFORE_MS = 3 * 86_400_000;

const AdminTokenFile = v.object({
  token: v.pipe(v.string(), v.minLength(20)),
  name: v.string(),
  scopes: v.array(v.string()),
  /** YYYY-MM-DD, as GitLab stores it. */
  expiresAt: v.string(),
  state: v.picklist(['pending', 'active']),
  createdAt: v.string(),
  /** A still valid token this one replaces; revoked once this one is confirmed. */
  previous: v.optional(v.string()),
});
export type AdminTokenFile = v.InferOutput<typeof AdminTokenFile>;

const HINT = "It holds lab's admin token for GitLab; delete it and run `lab up`, which creates a new token.";

export async function readAdminToken(file: string): Promise<AdminTokenFile | undefined> {
  const stored = await readJsonSecret(file, AdminTokenFile, HINT);
  if (stored) {
    registerSecret(stored.token);
    if (stored.previous) registerSecret(stored.previous);
  }
  return stored;
}

/**
 * A value in GitLab's personal access token format (`glpat-` and 20 characters: legacy
 * tokens are exactly that), from node:crypto. Base62 only, so it is safe in a Ruby literal.
 */
export function generateAdminToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const out: string[] = [];
  while (out.length < 20) {
    for (const b of randomBytes(32)) {
      // Rejection sampling keeps the choice uniform: 248 = 4 × 62.
      if (b < 248 && out.length < 20) out.push(alphabet[b % 62] ?? '');
    }
  }
  return `glpat-${out.join('')}`;
}

/** The documented snippet (https://docs.gitlab.com/user/profile/personal_access_tokens/#create-a-personal-access-token-programmatically), fed to `gitlab-rails runner` on stdin. */
export function createTokenScript(token: string): string {
  const scopes = ADMIN_TOKEN_SCOPES.map((s) => checkedRubyString(s)).join(', ');
  return [
    '# lab: create the admin personal access token for root',
    "user = User.find_by_username('root')",
    `token = user.personal_access_tokens.create(scopes: [${scopes}], name: ${checkedRubyString(ADMIN_TOKEN_NAME)}, expires_at: ${LIFETIME_DAYS}.days.from_now)`,
    `token.set_token(${checkedRubyString(token)})`,
    'token.save!',
    '',
  ].join('\n');
}

export type Verdict = { ok: true; info: TokenInfo } | { ok: false; reason: string; stillValid: boolean };

/** Whether a token's record (undefined: GitLab said 401) is good for another run. */
export function judgeToken(info: TokenInfo | undefined, now = Date.now()): Verdict {
  if (!info) return { ok: false, reason: 'GitLab does not accept it (unknown, expired or revoked)', stillValid: false };
  if (info.revoked || !info.active)
    return { ok: false, reason: info.revoked ? 'it was revoked' : 'it is no longer active', stillValid: false };
  if (!ADMIN_TOKEN_SCOPES.every((s) => info.scopes.includes(s)))
    return { ok: false, reason: `it lacks the ${ADMIN_TOKEN_SCOPES.join(', ')} scope`, stillValid: true };
  if (info.expires_at !== null && Date.parse(`${info.expires_at}T00:00:00Z`) - now < RENEW_BEFORE_MS) {
    return { ok: false, reason: `it expires on ${info.expires_at}`, stillValid: true };
  }
  return { ok: true, info };
}

function dateIn(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export interface AdminTokenContext {
  /** `.lab/secrets/admin-token.json`. */
  file: string;
  /** The token API, authenticated with a given token. */
  tokens(token: string): TokensApi;
  exec: Exec;
  gitlabContainerId: string;
  timeoutMs: number;
  report(text: string): void;
}

export interface AdminToken {
  token: string;
  expiresAt: string;
  /** kept: valid as stored; confirmed: a pending token GitLab already knew; created: new. */
  action: 'kept' | 'confirmed' | 'created';
  /** Why a new token was made, when one was. */
  reason?: string;
}

/** Explains a failed `gitlab-rails runner` without ever quoting the token. */
function railsFailure(stderr: string, stdout: string, token: string): { why: string; hint: string; details: string[] } {
  const lines = `${stderr}\n${stdout}`
    .split(token)
    .join('[redacted]')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
  const text = lines.join('\n');
  const details = lines.slice(-10);
  if (/personal_access_tokens'? for nil/.test(text)) {
    return {
      why: 'GitLab has no root user',
      hint: 'GitLab creates root on its first boot only if GITLAB_ROOT_PASSWORD passes its password rules; check `lab logs gitlab`. A GitLab whose data volume predates the password file keeps its old root.',
      details,
    };
  }
  if (/PG::ConnectionBad|could not connect to server/.test(text)) {
    return {
      why: "GitLab's database is not reachable",
      hint: 'GitLab may still be starting or failing; follow `lab logs gitlab -f` and run `lab up` again.',
      details,
    };
  }
  return {
    why: `gitlab-rails runner failed: ${lines.at(-1) ?? 'no output'}`,
    hint: 'See the output below and `lab logs gitlab`; then run `lab up` again.',
    details,
  };
}

export async function ensureAdminToken(ctx: AdminTokenContext): Promise<AdminToken> {
  const stored = await readAdminToken(ctx.file);
  let reason = 'there is none yet';
  let previous: string | undefined;
  if (stored) {
    const verdict = judgeToken(await ctx.tokens(stored.token).self());
    if (verdict.ok) {
      const expiresAt = verdict.info.expires_at ?? stored.expiresAt;
      if (stored.state === 'active') return { token: stored.token, expiresAt, action: 'kept' };
      // A crash after GitLab created the token: confirm it instead of making another.
      await activate(ctx, { ...stored, expiresAt });
      return { token: stored.token, expiresAt, action: 'confirmed' };
    }
    reason = `${stored.state === 'pending' ? 'the pending token was never created' : 'the stored token is unusable'}: ${verdict.reason}`;
    // A token GitLab still accepts is revoked only after its successor works.
    previous = verdict.stillValid ? stored.token : stored.previous;
  }

  const token = registerSecret(generateAdminToken());
  const record: AdminTokenFile = {
    token,
    name: ADMIN_TOKEN_NAME,
    scopes: [...ADMIN_TOKEN_SCOPES],
    expiresAt: dateIn(LIFETIME_DAYS),
    state: 'pending',
    createdAt: new Date().toISOString(),
    ...(previous === undefined ? {} : { previous }),
  };
  // Stored before GitLab knows it: a crash from here on cannot lose the value.
  await writeJsonSecret(ctx.file, record);
  killPoint('admin-token:persisted');

  ctx.report('admin token: creating it with gitlab-rails runner');
  const result = await railsRunner(ctx.exec, ctx.gitlabContainerId, createTokenScript(token), ctx.timeoutMs);
  if (result.exitCode !== 0) {
    const f = railsFailure(result.stderr, result.stdout, token);
    throw fail(`\`${result.cmd.join(' ')}\` exited with ${result.exitCode}: ${f.why}`, f.hint, f.details);
  }
  killPoint('admin-token:created');

  const verdict = judgeToken(await ctx.tokens(token).self());
  if (!verdict.ok)
    throw fail(
      `GitLab does not accept the admin token it just created: ${verdict.reason}`,
      'Check `lab logs gitlab`; then run `lab up` again.',
    );
  const expiresAt = verdict.info.expires_at ?? record.expiresAt;
  await activate(ctx, { ...record, expiresAt });
  return { token, expiresAt, action: 'created', reason };
}

/** Marks the token active and then revokes the one it replaced (best effort: it expires anyway). */
async function activate(ctx: AdminTokenContext, record: AdminTokenFile): Promise<void> {
  const { previous, ...rest } = record;
  await writeJsonSecret(ctx.file, { ...rest, state: 'active' });
  if (previous === undefined) return;
  try {
    await ctx.tokens(previous).revokeSelf();
    ctx.report('admin token: revoked the token it replaces');
  } catch {
    ctx.report('admin token: could not revoke the token it replaces; it expires by itself');
  }
}
