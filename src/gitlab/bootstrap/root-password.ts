import { randomBytes } from 'node:crypto';
import { parseEnvFile } from '../../util/envfile.js';
import { fail } from '../../util/errors.js';
import { createSecretFile, readSecretFile } from '../../util/secret-files.js';
import { registerSecret } from '../../util/secrets.js';

/**
 * The root password. GitLab refuses weak passwords when it seeds root on first boot,
 * and then creates no root at all, so the generator only returns passwords that pass
 * every documented rule:
 * - length 8–128 (https://docs.gitlab.com/security/password_length_limits/);
 * - not a common password and without predictable words such as "gitlab" or the user's
 *   name, username or email (https://docs.gitlab.com/user/profile/user_passwords/#block-weak-passwords);
 * - upper and lower case, a digit and a symbol, in case password complexity is enforced
 *   (https://docs.gitlab.com/administration/settings/sign_up_restrictions/#password-complexity-requirements).
 * The alphabet avoids characters that env files, shells or YAML would interpret.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
export const PASSWORD_LENGTH = 28; // 28 × 6 bits = 168 bits of entropy

/** Words the password must not contain (case-insensitive): GitLab's predictable words and root's own names. */
const FORBIDDEN = ['gitlab', 'devops', 'root', 'admin', 'administrator', 'password', 'example'];

export function isStrongPassword(pw: string): boolean {
  const lower = pw.toLowerCase();
  return (
    pw.length >= 16 &&
    pw.length <= 128 &&
    /[A-Z]/.test(pw) &&
    /[a-z]/.test(pw) &&
    /[0-9]/.test(pw) &&
    /[-_]/.test(pw) &&
    !FORBIDDEN.some((w) => lower.includes(w))
  );
}

/** A strong random password from node:crypto; candidates that miss a rule are drawn again. */
export function generatePassword(length = PASSWORD_LENGTH): string {
  for (;;) {
    // 64 symbols: each random byte's low 6 bits pick one uniformly.
    const pw = [...randomBytes(length)].map((b) => ALPHABET[b & 63]).join('');
    // A leading '-' reads like an option when pasted into a command line.
    if (!pw.startsWith('-') && isStrongPassword(pw)) return pw;
  }
}

const KEY = 'GITLAB_ROOT_PASSWORD';

export function formatGitlabEnv(password: string): string {
  return `${KEY}=${password}\n`;
}

/**
 * The password from gitlab.env (`GITLAB_ROOT_PASSWORD=…`, optionally quoted), or undefined.
 * Read with the parser that feeds the GitLab container's environment, so the password lab
 * shows is the one GitLab was given.
 */
export function parseGitlabEnv(text: string): string | undefined {
  return parseEnvFile(text)[KEY] || undefined;
}

/**
 * `.lab/secrets/gitlab.env`, created before the GitLab container exists: GitLab seeds
 * root from it on its first boot only. An existing file is never replaced, whatever it
 * holds: it may be the only record of the password of a GitLab that already exists.
 */
export async function ensureRootPassword(file: string): Promise<{ password: string; created: boolean }> {
  const existing = await readSecretFile(file);
  if (existing === undefined) {
    const password = registerSecret(generatePassword());
    if (await createSecretFile(file, formatGitlabEnv(password))) return { password, created: true };
    // Another lab process created it a moment ago: read theirs below.
  }
  return { password: await readRootPassword(file), created: false };
}

/** The root password from gitlab.env; an error naming the file when there is none. */
export async function readRootPassword(file: string): Promise<string> {
  const password = await readRootPasswordOptional(file);
  if (password === undefined) throw fail(`${file} is missing`, 'It holds the root password; `lab up` creates it before GitLab is created.');
  return password;
}

/** As readRootPassword, but undefined when the file does not exist. */
export async function readRootPasswordOptional(file: string): Promise<string | undefined> {
  const text = await readSecretFile(file);
  if (text === undefined) return undefined;
  const password = parseGitlabEnv(text);
  if (password === undefined) {
    throw fail(
      `${file} has no GITLAB_ROOT_PASSWORD`,
      'Restore the line GITLAB_ROOT_PASSWORD=<password>; lab does not overwrite this file, since GitLab keeps the password it was first started with.',
    );
  }
  return registerSecret(password);
}
