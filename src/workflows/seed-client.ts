import { Agent } from 'node:https';
import type { LabModel } from '../config/model.js';
import { resolveEndpoint } from '../engine/endpoint.js';
import { readAdminToken } from '../gitlab/bootstrap/admin-token.js';
import { type GitLabClient, gitlabClient } from '../gitlab/client/index.js';
import { type LabHttpsClient, labHttpsClient } from '../net/https.js';
import { limiter } from '../seed/pool.js';
import { labRoute } from '../stack/route.js';
import { fail } from '../util/errors.js';

export interface SeedClient {
  gitlab: GitLabClient;
  /** API calls made so far (each attempt of a retried call counts). */
  calls(): number;
  /** Closes the kept-alive connections. */
  close(): void;
}

/**
 * GitLab as `lab seed` reaches it: through the lab's HTTPS route with lab's admin token,
 * at most `concurrency` requests at a time. No engine connection is needed, only where the
 * engine publishes its ports.
 */
export async function seedClient(model: LabModel, env: NodeJS.ProcessEnv, concurrency: number): Promise<SeedClient> {
  const admin = await readAdminToken(model.paths.adminToken);
  if (admin?.state !== 'active') {
    throw fail(
      `there is no confirmed admin token in ${model.paths.adminToken}`,
      "Run `lab up` first: it creates lab's admin token once GitLab is ready.",
    );
  }
  const endpoint = await resolveEndpoint(env);
  // Keep-alive connections, at most one per call in flight: a TLS handshake per call would
  // cost more than the call itself for hundreds of small requests.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const http = labHttpsClient(await labRoute(model, endpoint.publishedHost), { agent });
  const limit = limiter(concurrency);
  let calls = 0;
  const limited: LabHttpsClient = {
    route: http.route,
    request: (req) =>
      limit(() => {
        calls++;
        return http.request(req);
      }),
  };
  return {
    gitlab: gitlabClient(limited, { host: model.hosts.gitlab, token: admin.token, timeoutMs: 60_000 }),
    calls: () => calls,
    close: () => agent.destroy(),
  };
}
