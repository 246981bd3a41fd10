import { type LabModel, publicUrl } from '../config/model.js';
import { fail } from '../util/errors.js';
import { readAdminToken } from './admin-token.js';
import { readRootPasswordOptional } from './password.js';
import { secretFiles } from './secrets.js';

/** What `lab credentials` shows: read from the secret files only, GitLab is not asked. */
export interface Credentials {
  url: string;
  user: 'root';
  password: string;
  token?: { value: string; expiresAt: string };
}

export async function readCredentials(model: LabModel, options: { token: boolean }): Promise<Credentials> {
  const files = secretFiles(model.paths);
  const password = await readRootPasswordOptional(files);
  if (password === undefined)
    throw fail(`${files.gitlabEnv} is missing`, 'Run `lab up` first: it creates the root password before GitLab starts.');
  const creds: Credentials = { url: publicUrl(model, model.hosts.gitlab), user: 'root', password };
  if (!options.token) return creds;
  const admin = await readAdminToken(files);
  if (!admin || admin.state !== 'active') {
    throw fail(
      `there is no confirmed admin token in ${files.adminToken}`,
      'Run `lab up` (without --skip-runner): it creates the token once GitLab is ready.',
    );
  }
  return { ...creds, token: { value: admin.token, expiresAt: admin.expiresAt } };
}
