import type { LabHttpsClient } from '../../net/https.js';
import { groupsApi } from '../groups.js';
import { jobTokenScopeApi } from '../job-token-scope.js';
import { pipelinesApi } from '../pipelines.js';
import { projectsApi } from '../projects.js';
import { runnersApi } from '../runners.js';
import { tokensApi } from '../tokens.js';
import { usersApi } from '../users.js';
import { variablesApi } from '../variables.js';
import { type GitLabTransport, gitlabTransport, type TransportOptions } from './transport.js';

export { GitLabApiError } from './errors.js';
export type { GitLabTransport, TransportOptions } from './transport.js';

/** GitLab's REST API: one transport, one small typed module per resource. */
export interface GitLabClient {
  transport: GitLabTransport;
  tokens: ReturnType<typeof tokensApi>;
  runners: ReturnType<typeof runnersApi>;
  users: ReturnType<typeof usersApi>;
  groups: ReturnType<typeof groupsApi>;
  projects: ReturnType<typeof projectsApi>;
  variables: ReturnType<typeof variablesApi>;
  jobTokenScope: ReturnType<typeof jobTokenScopeApi>;
  pipelines: ReturnType<typeof pipelinesApi>;
}

export function gitlabClient(http: LabHttpsClient, options: TransportOptions): GitLabClient {
  const transport = gitlabTransport(http, options);
  return {
    transport,
    tokens: tokensApi(transport),
    runners: runnersApi(transport),
    users: usersApi(transport),
    groups: groupsApi(transport),
    projects: projectsApi(transport),
    variables: variablesApi(transport),
    jobTokenScope: jobTokenScopeApi(transport),
    pipelines: pipelinesApi(transport),
  };
}
