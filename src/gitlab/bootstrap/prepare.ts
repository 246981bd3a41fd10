import type { LabModel } from '../../config/model.js';
import { containerName } from '../../services/definition.js';
import { ensureRootPassword, readRootPasswordOptional } from './root-password.js';

export interface PrepareContext {
  model: LabModel;
  /** GitLab's data volume exists already: GitLab has its root password, whatever lab would generate now. */
  gitlabDataExists: boolean;
}

/**
 * Before anything is rendered or created: the root password GitLab seeds root from (on its
 * first boot only). Returns notes for the user, nothing secret.
 */
export async function prepareSecrets(ctx: PrepareContext): Promise<string[]> {
  const file = ctx.model.paths.gitlabEnv;
  if (ctx.gitlabDataExists && (await readRootPasswordOptional(file)) === undefined) {
    // A new password would not be root's: GitLab seeds root only on its first boot.
    const container = containerName(ctx.model, 'gitlab');
    return [
      `${file} is missing, but GitLab already has its data, so lab cannot know root's password. Reset it with \`docker exec -it ${container} gitlab-rake "gitlab:password:reset[root]"\` and save it in that file as GITLAB_ROOT_PASSWORD=<password>.`,
    ];
  }
  await ensureRootPassword(file);
  return [];
}
