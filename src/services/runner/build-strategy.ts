import type { LabModel } from '../../config/model.js';
import { CONTAINER_PATHS } from '../container-paths.js';

/**
 * How jobs build images, by `runner.docker`. What each strategy adds to config.toml:
 *
 * - socket: the engine host's socket in every job. The host's daemon builds, pulls and
 *   pushes, so it must resolve and trust the lab registry itself (`lab hosts --write`,
 *   `lab trust --docker`); jobs can control that daemon, which is root on the host.
 * - dind: the job declares a `docker:dind` service and gets TLS to it. Only that service runs privileged
 *   (services_privileged with an allow-list), never the job.
 *   https://docs.gitlab.com/ci/docker/using_docker_build/#docker-in-docker-with-tls-enabled-in-the-docker-executor
 * - remote: a TLS-protected engine elsewhere, reached with a client certificate; no job is
 *   privileged and none sees a socket.
 */
export interface BuildStrategy {
  /** Variables every job (and its services) gets. */
  environment: string[];
  /** Keys of [runners.docker]. */
  docker: Record<string, unknown>;
  volumes: string[];
}

/** The dind images that may run privileged, as gitlab-runner matches services (with and without the registry prefix). */
export const PRIVILEGED_DIND = ['docker:*-dind', 'docker:dind', 'docker.io/library/docker:*-dind', 'docker.io/library/docker:dind'];

/**
 * The dind service's daemon configuration, mounted at /etc/docker/daemon.json (the job's
 * services get the job's volumes). Without it the nested dockerd gives its default bridge
 * 172.17.0.1/16, the very address `host-gateway` stands for on a Linux engine (the engine
 * host's docker0): the lab hosts in the service's extra_hosts then point at the nested
 * daemon's own bridge, and its `docker login`, pulls and pushes end in "connect: connection
 * refused". 172.17.255.0/24 lies inside the engine host's own default bridge subnet, so no
 * network of the engine host (the job's network included) can have it, and it leaves out the
 * gateway address. `bip`: https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file
 */
export const DIND_DAEMON_CONFIG = `${JSON.stringify({ bip: '172.17.255.1/24' }, null, 2)}\n`;

/** Where jobs find the remote builder's client certificate (docker's DOCKER_CERT_PATH layout). */
export const BUILDER_CERT_PATH = '/certs/builder';

export function buildStrategy(model: LabModel): BuildStrategy {
  switch (model.runner.docker) {
    case 'socket':
      return { environment: [], docker: {}, volumes: [`${model.runner.dockerSocket}:${CONTAINER_PATHS.dockerSocket}`] };
    case 'dind':
      return {
        // The dind service writes its certificates under DOCKER_TLS_CERTDIR; the job's client
        // reads /certs/client, a volume both containers share.
        environment: [
          'DOCKER_HOST=tcp://docker:2376',
          'DOCKER_TLS_CERTDIR=/certs',
          'DOCKER_TLS_VERIFY=1',
          'DOCKER_CERT_PATH=/certs/client',
        ],
        docker: { services_privileged: true, allowed_privileged_services: PRIVILEGED_DIND },
        volumes: ['/certs/client', `${model.paths.dindDaemonConfig}:/etc/docker/daemon.json:ro`],
      };
    case 'remote': {
      const remote = model.runner.remote;
      return {
        environment: remote ? [`DOCKER_HOST=${remote.host}`, 'DOCKER_TLS_VERIFY=1', `DOCKER_CERT_PATH=${BUILDER_CERT_PATH}`] : [],
        docker: {},
        volumes: [],
      };
    }
  }
}

/** The folder of ca.pem, cert.pem and key.pem that jobs use for the remote builder (on the engine host). */
export function builderCertDir(model: LabModel): string | undefined {
  if (model.runner.docker !== 'remote' || !model.runner.remote) return undefined;
  return model.runner.remote.certPath ?? model.paths.builderClientDir;
}

export function builderVolumes(model: LabModel): string[] {
  const dir = builderCertDir(model);
  return dir ? [`${dir}:${BUILDER_CERT_PATH}:ro`] : [];
}

/** The builder's name for jobs, when lab.yml gives its address. */
export function builderHosts(model: LabModel): string[] {
  const remote = model.runner.remote;
  if (model.runner.docker !== 'remote' || !remote?.address || remote.hostname === remote.address) return [];
  return [`${remote.hostname}:${remote.address}`];
}
