import { LAB_LAYOUT } from '../../config/layout.js';
import { type LabModel, proxiedHosts, publicUrl } from '../../config/model.js';
import { httpStatus } from '../../net/probes.js';
import type { WaitStrategy } from '../../util/wait.js';
import { CONTAINER_PATHS, SERVICE_PORTS } from '../container-paths.js';
import { containerName, defineService, type HttpRoute, type ReadinessProbe } from '../definition.js';
import { omnibusConfig } from './omnibus.js';

/**
 * `/-/readiness` answers 200 through the proxy, so the whole path a user takes (published
 * port, Traefik, router, GitLab) is proven at once.
 * https://docs.gitlab.com/administration/monitoring/health_check/#readiness
 */
function readyThroughProxy(model: LabModel, probe: ReadinessProbe): WaitStrategy {
  return httpStatus(probe.https, model.hosts.gitlab, '/-/readiness', 200);
}

function routes(model: LabModel): HttpRoute[] {
  const list: HttpRoute[] = [
    { name: 'gitlab', hosts: [model.hosts.gitlab], upstream: { alias: 'gitlab', port: SERVICE_PORTS.gitlabHttp } },
    { name: 'registry', hosts: [model.hosts.registry], upstream: { alias: 'gitlab', port: SERVICE_PORTS.registryHttp } },
  ];
  // Project sites live one label below the Pages host, as the leaf's *.<pages> SAN covers.
  if (model.hosts.pages) {
    list.push({ name: 'pages', hosts: [model.hosts.pages], wildcardUnder: model.hosts.pages, upstream: { alias: 'gitlab', port: SERVICE_PORTS.pagesHttp } });
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
    ports: [{ host: model.ports.ssh, container: SERVICE_PORTS.gitlabSsh }],
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
  readiness: (model, probe) => [readyThroughProxy(model, probe)],
  url: (model) => publicUrl(model, model.hosts.gitlab),
});
