import { LAB_LAYOUT } from '../../config/layout.js';
import { type LabModel, proxiedHosts, publicUrl } from '../../config/model.js';
import { httpAnswer } from '../../net/probes.js';
import { errorMessage, firstLine } from '../../util/errors.js';
import type { ExecResult } from '../../util/exec-types.js';
import type { WaitStrategy } from '../../util/wait.js';
import { CONTAINER_PATHS, SERVICE_PORTS } from '../container-paths.js';
import { containerName, defineService, type HttpRoute, type ReadinessProbe } from '../definition.js';
import { omnibusConfig } from './omnibus.js';

/** curl in the GitLab container for its readiness, printing only the status code (Omnibus ships curl). */
export const READINESS_CURL = [
  '/opt/gitlab/embedded/bin/curl',
  '--silent',
  '--output',
  '/dev/null',
  '--write-out',
  '%{http_code}',
  '--max-time',
  '5',
  `http://127.0.0.1:${SERVICE_PORTS.gitlabHttp}/-/readiness`,
] as const;

/**
 * GitLab's readiness, asked inside its container: there the client is 127.0.0.1, which
 * `monitoring_whitelist` always allows, whatever engine runs the lab. Through the proxy the
 * health endpoints may answer 404 (a remote engine's DNAT keeps the caller's address, and
 * Omnibus trusts only `real_ip_trusted_addresses` to forward one).
 * https://docs.gitlab.com/administration/monitoring/health_check/#readiness
 */
function readyInside(probe: ReadinessProbe): WaitStrategy {
  return {
    description: 'GET /-/readiness inside the container → 200',
    async check() {
      let r: ExecResult;
      try {
        r = await probe.exec([...READINESS_CURL]);
      } catch (err) {
        // A slow engine or a container that is going away: not ready, and not a crash.
        return { ready: false, detail: `exec failed: ${firstLine(errorMessage(err))}` };
      }
      const status = r.stdout.trim();
      if (r.exitCode === 0 && status === '200') return { ready: true };
      if (/^[1-5]\d\d$/.test(status)) return { ready: false, detail: `HTTP ${status}` };
      const why = (r.stderr || r.stdout).trim().split('\n')[0];
      return { ready: false, detail: `no answer inside the container (exit ${r.exitCode}${why ? `: ${why}` : ''})` };
    },
  };
}

/**
 * The path a user takes (published port, Traefik, router, GitLab) answers: the API without
 * a token answers 401 from GitLab itself; the proxy never says 401 (its own answers are
 * 404, 502, 503 and 504), so a 401 or a 200 proves the whole route.
 */
function reachableThroughProxy(model: LabModel, probe: ReadinessProbe): WaitStrategy {
  return httpAnswer(probe.https, model.hosts.gitlab, '/api/v4/version', {
    description: '401 or 200 from GitLab',
    ok: (s) => s === 401 || s === 200,
  });
}

function routes(model: LabModel): HttpRoute[] {
  const list: HttpRoute[] = [
    { name: 'gitlab', hosts: [model.hosts.gitlab], upstream: { alias: 'gitlab', port: SERVICE_PORTS.gitlabHttp } },
    { name: 'registry', hosts: [model.hosts.registry], upstream: { alias: 'gitlab', port: SERVICE_PORTS.registryHttp } },
  ];
  // Project sites live one label below the Pages host, as the leaf's *.<pages> SAN covers.
  if (model.hosts.pages) {
    list.push({
      name: 'pages',
      hosts: [model.hosts.pages],
      wildcardUnder: model.hosts.pages,
      upstream: { alias: 'gitlab', port: SERVICE_PORTS.pagesHttp },
    });
  }
  return list;
}

/** GitLab Omnibus with its container registry (and Pages when enabled), plain HTTP behind Traefik. */
export const gitlab = defineService({
  name: 'gitlab',
  summary: 'GitLab Omnibus with its container registry',
  enabled: () => true,
  start: 'stack',
  container: (model: LabModel) => ({
    service: 'gitlab',
    containerName: containerName(model, 'gitlab'),
    image: model.images.gitlab,
    hostname: 'gitlab',
    environment: { ...model.gitlab.environment, GITLAB_OMNIBUS_CONFIG: omnibusConfig(model) },
    envFiles: [LAB_LAYOUT.gitlabEnv],
    mounts: [
      { type: 'volume', source: model.volumes.gitlabConfig, target: '/etc/gitlab', readOnly: false },
      { type: 'volume', source: model.volumes.gitlabLogs, target: '/var/log/gitlab', readOnly: false },
      { type: 'volume', source: model.volumes.gitlabData, target: '/var/opt/gitlab', readOnly: false },
      { type: 'bind', source: { kind: 'lab', path: LAB_LAYOUT.tlsCa }, target: CONTAINER_PATHS.gitlabTrustedCa, readOnly: true },
    ],
    // Git over SSH goes through Traefik's TCP route (below), like every other lab host.
    ports: [],
    network: { name: model.network.name, aliases: ['gitlab'] },
    extraHosts: proxiedHosts(model.hosts).map((host) => ({ host, ip: model.network.proxyIp })),
    restart: 'unless-stopped',
    // Same probe as the image's own HEALTHCHECK, with a start period that fits a first boot.
    healthcheck: {
      test: ['CMD', '/opt/gitlab/bin/gitlab-healthcheck', '--fail', '--max-time', '10'],
      intervalSeconds: 30,
      timeoutSeconds: 15,
      retries: 5,
      startPeriodSeconds: 600,
    },
    shmSizeBytes: 256 * 1024 * 1024,
    // Omnibus stops PostgreSQL, Gitaly and friends in turn; a SIGKILL after Docker's
    // default 10 s can leave the database needing recovery.
    stopGracePeriodSeconds: 120,
    privileged: false,
    restartOn: [LAB_LAYOUT.tlsCa],
  }),
  routes,
  // `git clone ssh://git@gitlab.<domain>:<ssh port>/…` works wherever gitlab.<domain> points at
  // the proxy: on the host and in jobs, which resolve it to the proxy too.
  tcpRoutes: (model) => [{ name: 'gitlab-ssh', port: model.ports.ssh, upstream: { alias: 'gitlab', port: SERVICE_PORTS.gitlabSsh } }],
  readiness: (model, probe) => [readyInside(probe), reachableThroughProxy(model, probe)],
  url: (model) => publicUrl(model, model.hosts.gitlab),
});
