import { LAB_LAYOUT } from '../../config/layout.js';
import { type LabModel, proxiedHosts } from '../../config/model.js';
import { PRIVATE_MODE, PUBLIC_MODE } from '../../render/files.js';
import { CONTAINER_PATHS } from '../container-paths.js';
import { containerName, defineService } from '../definition.js';
import { DIND_DAEMON_CONFIG } from './build-strategy.js';
import { jobCertsDirCa, runnerConfig } from './config-toml.js';

/**
 * GitLab Runner with the docker executor. It starts after the GitLab bootstrap, which
 * creates it in GitLab and hands over its token; the bootstrap then waits until it is online.
 */
export const runner = defineService({
  name: 'runner',
  summary: 'GitLab Runner (docker executor), registered through the API',
  enabled: () => true,
  start: 'after-bootstrap',
  container: (model: LabModel) => ({
    service: 'runner',
    containerName: containerName(model, 'runner'),
    image: model.images.runner,
    hostname: 'runner',
    environment: {},
    envFiles: [],
    mounts: [
      { type: 'bind', source: { kind: 'lab', path: LAB_LAYOUT.runnerDir }, target: CONTAINER_PATHS.runnerConfigDir, readOnly: false },
      { type: 'bind', source: { kind: 'lab', path: LAB_LAYOUT.tlsCa }, target: CONTAINER_PATHS.caFile, readOnly: true },
      // The docker executor starts job containers through the engine it runs on, in every mode.
      { type: 'bind', source: { kind: 'host', path: model.runner.dockerSocket }, target: CONTAINER_PATHS.dockerSocket, readOnly: false },
    ],
    ports: [],
    network: { name: model.network.name, aliases: ['runner'] },
    extraHosts: proxiedHosts(model.hosts).map((host) => ({ host, ip: model.network.proxyIp })),
    restart: 'unless-stopped',
    privileged: false,
    restartOn: [LAB_LAYOUT.tlsCa],
  }),
  routes: () => [],
  files: (model, inputs) => [
    { path: model.paths.runnerConfig, content: runnerConfig(model, inputs.runnerToken ?? ''), mode: PRIVATE_MODE },
    ...(model.runner.docker === 'dind' ? [{ path: model.paths.dindDaemonConfig, content: DIND_DAEMON_CONFIG, mode: PUBLIC_MODE }] : []),
    ...(inputs.caCert === undefined ? [] : [{ path: jobCertsDirCa(model), content: inputs.caCert, mode: PUBLIC_MODE }]),
  ],
});
