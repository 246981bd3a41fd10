import { proxiedHosts } from '../../config/model.js';
import { type LabHttpsClient, labHttpsClient } from '../../net/https.js';
import { errnoCode, errorMessage, LabError } from '../../util/errors.js';
import { readOptional } from '../../util/fs.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

export const READINESS_CHECK = 'gitlab.readiness';

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
 * GitLab is ready behind the proxy: `/-/readiness` answers 200.
 * https://docs.gitlab.com/administration/monitoring/health_check/#readiness
 */
export const readinessCheck: DoctorCheck = {
  id: READINESS_CHECK,
  title: 'GitLab ready (through the proxy)',
  async run(ctx, signal) {
    const host = ctx.model.hosts.gitlab;
    const client = await labClientFor(ctx);
    const url = `https://${host}:${ctx.model.ports.https}/-/readiness`;
    let status: number;
    try {
      status = (await client.request({ host, path: '/-/readiness', timeoutMs: 4000, signal })).status;
    } catch (err) {
      return transportFailure(ctx, url, err);
    }
    if (status === 200) return { status: 'ok', detail: `${url} answered 200` };
    if (status === 503)
      return {
        status: 'fail',
        detail: `${url} answered 503: GitLab is starting or a component is down`,
        fix: `Wait a minute and run doctor again, or follow \`${ctx.lab('logs gitlab -f')}\`.`,
      };
    if (status === 502 || status === 504)
      return {
        status: 'fail',
        detail: `${url} answered ${status}: the proxy cannot reach GitLab`,
        fix: `Run \`${ctx.lab('status')}\`; \`${ctx.lab('up')}\` starts what is missing.`,
      };
    if (status === 404) {
      // GitLab hides the health endpoints from clients outside monitoring_whitelist.
      return {
        status: 'fail',
        detail: `${url} answered 404: this client is not in GitLab's monitoring_whitelist, or the proxy has no route for ${host}`,
        fix: `Run \`${ctx.lab('up')}\` so the rendered configuration (which allows the lab network) is applied.`,
      };
    }
    return {
      status: 'fail',
      detail: `${url} answered ${status}`,
      fix: `Look at \`${ctx.lab('logs gitlab')}\` and \`${ctx.lab('logs traefik')}\`.`,
    };
  },
};
