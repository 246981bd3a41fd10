import type { LabModel } from '../config/model.js';
import { proxiedHosts } from '../config/model.js';
import { CONTAINER_PATHS, LAB_FILES, SERVICE_PORTS } from './constants.js';
import { omnibusConfig } from './gitlab.js';
import type { ServiceSpec } from './spec.js';

// Re-exported: the engine and other renderers import the shared constants from here.
export { CONTAINER_PATHS, LAB_FILES, SERVICE_PORTS };

export function containerName(model: LabModel, service: string): string {
  return `${model.name}-${service}-1`;
}

function extraHosts(model: LabModel): ServiceSpec['extraHosts'] {
  return proxiedHosts(model.hosts).map((host) => ({ host, ip: model.network.proxyIp }));
}

export function traefikService(model: LabModel): ServiceSpec {
  return {
    service: 'traefik',
    containerName: containerName(model, 'traefik'),
    image: model.images.traefik,
    hostname: 'traefik',
    environment: {},
    envFiles: [],
    mounts: [
      { type: 'bind', source: { kind: 'lab', path: LAB_FILES.traefikDir }, target: CONTAINER_PATHS.traefikConfigDir, readOnly: true },
      { type: 'bind', source: { kind: 'lab', path: LAB_FILES.tlsDir }, target: CONTAINER_PATHS.tlsDir, readOnly: true },
    ],
    ports: [
      // Same port inside and out: URLs with a non-default port work on the host and in jobs.
      { host: model.ports.http, container: model.ports.http },
      { host: model.ports.https, container: model.ports.https },
    ],
    network: { name: model.network.name, ipv4Address: model.network.proxyIp, aliases: ['traefik'] },
    extraHosts: extraHosts(model),
    restart: 'unless-stopped',
    // The official image ships the `traefik healthcheck` subcommand; it needs `ping` enabled.
    healthcheck: {
      test: ['CMD', 'traefik', 'healthcheck', '--ping'],
      intervalSeconds: 10,
      timeoutSeconds: 5,
      retries: 3,
      startPeriodSeconds: 5,
    },
    privileged: false,
    // The dynamic config is watched by Traefik; the static config and the certificates are not.
    restartOn: [LAB_FILES.traefikStatic, LAB_FILES.leafCert, LAB_FILES.tlsCa],
  };
}

export function gitlabService(model: LabModel): ServiceSpec {
  return {
    service: 'gitlab',
    containerName: containerName(model, 'gitlab'),
    image: model.images.gitlab,
    hostname: 'gitlab',
    environment: { ...model.gitlab.environment, GITLAB_OMNIBUS_CONFIG: omnibusConfig(model) },
    envFiles: [LAB_FILES.gitlabEnv],
    mounts: [
      { type: 'volume', source: model.volumes.gitlabConfig, target: '/etc/gitlab', readOnly: false },
      { type: 'volume', source: model.volumes.gitlabLogs, target: '/var/log/gitlab', readOnly: false },
      { type: 'volume', source: model.volumes.gitlabData, target: '/var/opt/gitlab', readOnly: false },
      { type: 'bind', source: { kind: 'lab', path: LAB_FILES.tlsCa }, target: CONTAINER_PATHS.gitlabTrustedCa, readOnly: true },
    ],
    ports: [{ host: model.ports.ssh, container: SERVICE_PORTS.gitlabSsh }],
    network: { name: model.network.name, aliases: ['gitlab'] },
    extraHosts: extraHosts(model),
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
    restartOn: [LAB_FILES.tlsCa],
  };
}

export function runnerService(model: LabModel): ServiceSpec {
  return {
    service: 'runner',
    containerName: containerName(model, 'runner'),
    image: model.images.runner,
    hostname: 'runner',
    environment: {},
    envFiles: [],
    mounts: [
      { type: 'bind', source: { kind: 'lab', path: LAB_FILES.runnerDir }, target: CONTAINER_PATHS.runnerConfigDir, readOnly: false },
      { type: 'bind', source: { kind: 'lab', path: LAB_FILES.tlsCa }, target: CONTAINER_PATHS.caFile, readOnly: true },
      // The docker executor starts job containers through the engine, in both modes.
      { type: 'bind', source: { kind: 'host', path: CONTAINER_PATHS.dockerSocket }, target: CONTAINER_PATHS.dockerSocket, readOnly: false },
    ],
    ports: [],
    network: { name: model.network.name, aliases: ['runner'] },
    extraHosts: extraHosts(model),
    restart: 'unless-stopped',
    privileged: false,
    restartOn: [LAB_FILES.tlsCa],
  };
}

/** All services in start order. */
export function desiredServices(model: LabModel): ServiceSpec[] {
  return [traefikService(model), gitlabService(model), runnerService(model)];
}
