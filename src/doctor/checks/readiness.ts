import { proxiedHosts } from '../../config/model.js';
import { execIn } from '../../engine/exec.js';
import { stackContainers } from '../../engine/observe.js';
import { type LabHttpsClient, labHttpsClient } from '../../net/https.js';
import { READINESS_CURL } from '../../services/gitlab/definition.js';
import { errnoCode, errorMessage, LabError } from '../../util/errors.js';
import { readOptional } from '../../util/fs.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';
import { ENGINE_CHECK } from './engine.js';

export const READINESS_CHECK = 'gitlab.route';

/**
 * The lab the way a browser reaches it: the proxy's published HTTPS port, SNI and Host
 * set to the lab host, and the lab CA as the only trusted CA (so this works whatever the
 * host trusts, and a wrong certificate shows up as such).
 */
export async function labClientFor(ctx: DoctorContext): Promise<LabHttpsClient> {
  const { model } = ctx;
  const ca = (await readOptional(model.paths.tlsCa)) ?? (await readOptional(model.paths.caCert));
  if (ca === undefined)
    throw new LabError(`the lab CA certificate is missing (${model.paths.caCert})`, {
      hint: `Run \`${ctx.lab('up')}\`, which creates it.`,
    });
  const endpoint = await ctx.endpoint();
  return labHttpsClient({ publishedHost: endpoint.publishedHost, port: model.ports.https, hosts: proxiedHosts(model.hosts), ca });
}

/** Why a request through the proxy did not get an answer, with what to do about it. */
export function transportFailure(ctx: DoctorContext, url: string, err: unknown): CheckOutcome {
  const code = errnoCode(err) ?? '';
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH') {
    return {
      status: 'fail',
      detail: `nothing answers at ${url} (${code}): the proxy is not running or not published there`,
      fix: `Run \`${ctx.lab('up')}\` (and \`${ctx.lab('status')}\` to see each service).`,
    };
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|HOSTNAME|ALTNAME/i.test(code) || /certificate/i.test(errorMessage(err))) {
    return {
      status: 'fail',
      detail: `the proxy at ${url} serves a certificate the lab CA does not vouch for (${code || errorMessage(err)})`,
      fix: `Run \`${ctx.lab('certs')}\`, then \`${ctx.lab('up')}\` so the proxy serves the lab certificate.`,
    };
  }
  return {
    status: 'fail',
    detail: `${url}: ${code || errorMessage(err)}`,
    fix: `Check \`${ctx.lab('status')}\` and \`${ctx.lab('logs traefik')}\`.`,
  };
}

/**
 * GitLab answers through the proxy, as users and jobs reach it: the API without a token
 * answers 401 from GitLab itself (the proxy's own answers are 404, 502, 503 and 504). The
 * health endpoints are no use here: GitLab hides them from clients outside
 * `monitoring_whitelist`, which a remote engine's callers are.
 */
export const readinessCheck: DoctorCheck = {
  id: READINESS_CHECK,
  title: 'GitLab through the proxy',
  async run(ctx, signal) {
    const host = ctx.model.hosts.gitlab;
    const client = await labClientFor(ctx);
    const url = `https://${host}${ctx.model.ports.https === 443 ? '' : `:${ctx.model.ports.https}`}/api/v4/version`;
    let status: number;
    try {
      status = (await client.request({ host, path: '/api/v4/version', timeoutMs: 4000, signal })).status;
    } catch (err) {
      return transportFailure(ctx, url, err);
    }
    if (status === 401 || status === 200) return { status: 'ok', detail: `${url} answered ${status} from GitLab` };
    if (status === 502 || status === 503 || status === 504)
      return {
        status: 'fail',
        detail: `${url} answered ${status}: GitLab is starting, or the proxy cannot reach it`,
        fix: `Wait a minute and run doctor again, or see \`${ctx.lab('status')}\` and \`${ctx.lab('logs gitlab -f')}\`.`,
      };
    if (status === 404)
      return {
        status: 'fail',
        detail: `${url} answered 404: the proxy has no route for ${host}`,
        fix: `Run \`${ctx.lab('up')}\` so the proxy's routes are rendered again.`,
      };
    return {
      status: 'fail',
      detail: `${url} answered ${status}`,
      fix: `Look at \`${ctx.lab('logs gitlab')}\` and \`${ctx.lab('logs traefik')}\`.`,
    };
  },
};

/**
 * GitLab's own readiness, asked inside its container, where the client is 127.0.0.1 and
 * always in `monitoring_whitelist`. https://docs.gitlab.com/administration/monitoring/health_check/#readiness
 */
export const gitlabReadyCheck: DoctorCheck = {
  id: 'gitlab.ready',
  title: 'GitLab ready (inside its container)',
  needs: [ENGINE_CHECK],
  async run(ctx) {
    const { engine } = await ctx.engine();
    const gitlab = (await stackContainers(engine.docker, ctx.model.name)).find((c) => c.service === 'gitlab');
    if (gitlab?.state !== 'running')
      return { status: 'fail', detail: `GitLab's container is ${gitlab ? gitlab.state : 'missing'}`, fix: `Run \`${ctx.lab('up')}\`.` };
    const r = await execIn(engine.docker, gitlab.id, [...READINESS_CURL], { timeoutMs: 4000 });
    const code = r.stdout.trim();
    if (r.exitCode === 0 && code === '200') return { status: 'ok', detail: '/-/readiness answered 200 inside the container' };
    return {
      status: 'fail',
      detail:
        code && code !== '000'
          ? `/-/readiness answered ${code} inside the container: GitLab is starting or a component is down`
          : `GitLab does not answer inside its container (curl exit ${r.exitCode})`,
      fix: `Wait a minute and run doctor again, or follow \`${ctx.lab('logs gitlab -f')}\`.`,
    };
  },
};
