import { LAB_LAYOUT } from '../../config/layout.js';
import { type LabModel, proxiedHosts, publicUrl } from '../../config/model.js';
import { tlsEntryPoint } from '../../net/probes.js';
import { PUBLIC_MODE } from '../../render/files.js';
import { CONTAINER_PATHS } from '../container-paths.js';
import { containerName, defineService, type StackView } from '../definition.js';
import { traefikDynamic, traefikStatic } from './config.js';

/** Traefik v3: the TLS-terminating proxy in front of every lab host, on a static IP. */
export const traefik = defineService({
  name: 'traefik',
  summary: 'Traefik v3, the TLS-terminating proxy for every lab host',
  enabled: () => true,
  start: 'stack',
  container: (model: LabModel, stack: StackView) => ({
    service: 'traefik',
    containerName: containerName(model, 'traefik'),
    image: model.images.traefik,
    hostname: 'traefik',
    environment: {},
    envFiles: [],
    mounts: [
      { type: 'bind', source: { kind: 'lab', path: LAB_LAYOUT.traefikDir }, target: CONTAINER_PATHS.traefikConfigDir, readOnly: true },
      { type: 'bind', source: { kind: 'lab', path: LAB_LAYOUT.tlsDir }, target: CONTAINER_PATHS.tlsDir, readOnly: true },
    ],
    ports: [
      // Same port inside and out: URLs with a non-default port work on the host and in jobs.
      { host: model.ports.http, container: model.ports.http },
      { host: model.ports.https, container: model.ports.https },
      ...stack.tcpRoutes.map((r) => ({ host: r.port, container: r.port })),
    ],
    network: { name: model.network.name, ipv4Address: model.network.proxyIp, aliases: ['traefik'] },
    extraHosts: proxiedHosts(model.hosts).map((host) => ({ host, ip: model.network.proxyIp })),
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
    restartOn: [LAB_LAYOUT.traefikStatic, LAB_LAYOUT.leafCert, LAB_LAYOUT.tlsCa],
  }),
  routes: (model) => [{ name: 'dashboard', hosts: [model.hosts.traefik], upstream: { internal: 'api@internal' } }],
  files: (model, _inputs, stack) => [
    { path: model.paths.traefikStatic, content: traefikStatic(model, stack.tcpRoutes), mode: PUBLIC_MODE },
    { path: model.paths.traefikDynamic, content: traefikDynamic(stack.routes, stack.tcpRoutes), mode: PUBLIC_MODE },
  ],
  // The entry point hands out the lab certificate: the proxy is up and has read its files.
  readiness: (model, probe) => [tlsEntryPoint(probe.route, model.hosts.traefik)],
  url: (model) => publicUrl(model, model.hosts.traefik),
});
