import { type LabModel, publicUrl } from '../config/model.js';
import { fail } from '../util/errors.js';
import { readAdminToken } from './bootstrap/admin-token.js';
import { readRootPasswordOptional } from './bootstrap/root-password.js';

/** What `lab credentials` shows: read from the secret files only, GitLab is not asked. */
export interface Credentials {
  url: string;
  user: 'root';
  password: string;
  token?: { value: string; expiresAt: string };
}

export async function readCredentials(model: LabModel, options: { token: boolean }): Promise<Credentials> {
  const paths = model.paths;
  const password = await readRootPasswordOptional(paths.gitlabEnv);
  if (password === undefined)
    throw fail(`${paths.gitlabEnv} is missing`, 'Run `lab up` first: it creates the root password before GitLab starts.');
  const creds: Credentials = { url: publicUrl(model, model.hosts.gitlab), user: 'root', password };
  if (!options.token) return creds;
  const admin = await readAdminToken(paths.adminToken);
  if (admin?.state !== 'active') {
    throw fail(
      `there is no confirmed admin token in ${paths.adminToken}`,
      'Run `lab up` (without --skip-runner): it creates the token once GitLab is ready.',
    );
  }
  return { ...creds, token: { value: admin.token, expiresAt: admin.expiresAt } };
}
