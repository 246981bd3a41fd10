import { describe, expect, it } from 'vitest';
import { generateAdminToken, judgeToken } from '../../../src/gitlab/bootstrap/admin-token.js';
import { formatGitlabEnv, generatePassword, parseGitlabEnv } from '../../../src/gitlab/bootstrap/root-password.js';
import type { TokenInfo } from '../../../src/gitlab/tokens.js';

type PasswordRules = (password: string, user: { username: string; name: string; email: string }) => string[];

// The GitLab fixture's copy of GitLab's password rules is an independent judge here.
const rulesModule = '../../../fixtures/gitlab/passwords.mjs';
const { passwordProblems } = (await import(rulesModule)) as { passwordProblems: PasswordRules };
const root = { username: 'root', name: 'Administrator', email: 'admin@example.com' };

describe('the generated root password', () => {
  it("always passes GitLab's password rules for root, is long, and never repeats", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const pw = generatePassword();
      expect(passwordProblems(pw, root)).toEqual([]);
      expect(pw.length).toBeGreaterThanOrEqual(24);
      expect(/^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(pw)).toBe(true);
      seen.add(pw);
    }
    expect(seen.size).toBe(2000);
  });

  it('round-trips through gitlab.env', () => {
    const pw = generatePassword();
    expect(parseGitlabEnv(formatGitlabEnv(pw)) === pw).toBe(true);
    expect(parseGitlabEnv('# comment\nOTHER=1\nGITLAB_ROOT_PASSWORD="quoted-Value-123"\n')).toBe('quoted-Value-123');
    expect(parseGitlabEnv('GITLAB_ROOT_PASSWORD=\n')).toBeUndefined();
  });
});

describe('the admin token', () => {
  it('has the personal access token format', () => {
    const t = generateAdminToken();
    expect(/^glpat-[A-Za-z0-9]{20}$/.test(t)).toBe(true);
    expect(generateAdminToken() === t).toBe(false);
  });

  const info = (over: Partial<TokenInfo>): TokenInfo => ({
    id: 1,
    name: 'lab-admin',
    revoked: false,
    active: true,
    scopes: ['api'],
    user_id: 1,
    expires_at: '2030-01-31',
    ...over,
  });
  const now = Date.parse('2030-01-01T12:00:00Z');

  it('is kept while valid and renewed within 3 days of expiry, when revoked, rejected or short of scope', () => {
    expect(judgeToken(info({}), now).ok).toBe(true);
    expect(judgeToken(info({ expires_at: '2030-01-05' }), now).ok).toBe(true);
    expect(judgeToken(info({ expires_at: '2030-01-04' }), now)).toMatchObject({ ok: false, stillValid: true });
    expect(judgeToken(info({ revoked: true, active: false }), now)).toMatchObject({ ok: false, stillValid: false });
    expect(judgeToken(undefined, now)).toMatchObject({ ok: false, stillValid: false });
    expect(judgeToken(info({ scopes: ['read_api'] }), now)).toMatchObject({ ok: false, stillValid: true });
  });
});
