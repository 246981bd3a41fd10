import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { type LabModel, proxiedHosts, publicUrl, registryAddress } from '../../config/model.js';
import { generatedHeader } from '../../render/yaml.js';
import { CONTAINER_PATHS } from '../container-paths.js';

/**
 * The runner's config.toml (gitlab-runner v19.x), mounted as /etc/gitlab-runner.
 * Keys: https://docs.gitlab.com/runner/configuration/advanced-configuration/
 *
 * The runner starts job containers through the host's engine, so every volume source
 * below is a path on the engine host, not in the runner container.
 */
export function runnerConfig(model: LabModel, token: string): string {
  const config = {
    concurrent: model.runner.concurrent,
    // Seconds between job requests; 3 is the documented default, written out for clarity.
    check_interval: 3,
    runners: [
      {
        name: `${model.name}-runner`,
        url: publicUrl(model, model.hosts.gitlab),
        // The runner authentication token (glrt-…); empty until the bootstrap creates the runner.
        token,
        executor: 'docker',
        // The lab CA, for the runner's own API calls; jobs receive it as CI_SERVER_TLS_CA_FILE.
        'tls-ca-file': CONTAINER_PATHS.caFile,
        docker: {
          image: model.runner.defaultImage,
          // Jobs join the lab network, where extra_hosts send every lab host to Traefik.
          network_mode: model.network.name,
          extra_hosts: proxiedHosts(model.hosts).map((h) => `${h}:${model.network.proxyIp}`),
          privileged: model.runner.docker === 'dind',
          pull_policy: model.runner.pullPolicy,
          volumes: jobVolumes(model),
        },
      },
    ],
  };
  const header = generatedHeader([
    `The runner of the lab "${model.name}". Mode 0600: it holds the runner's token.`,
    'gitlab-runner reloads this file by itself when it changes.',
  ]);
  return `${header}\n${stringify(config)}\n`;
}

/**
 * A certs.d tree for jobs, rendered next to config.toml: `<registry host>[:port]/ca.crt`.
 * Mounted as a whole because a port in the folder name (`registry.test:8443`) cannot be
 * written in the `source:target:mode` volume syntax.
 */
export function jobCertsDir(model: LabModel): string {
  return model.paths.jobCertsDir;
}

export function jobCertsDirCa(model: LabModel): string {
  return join(jobCertsDir(model), registryAddress(model), 'ca.crt');
}

function jobVolumes(model: LabModel): string[] {
  const ca = model.paths.tlsCa;
  const volumes = [
    '/cache',
    // Docker clients in jobs (and the dind service, which gets the same volumes) trust the
    // lab registry through certs.d; https://docs.docker.com/engine/security/certificates/
    `${jobCertsDir(model)}:/etc/docker/certs.d:ro`,
    // For images that trust what lies in this folder after `update-ca-certificates`.
    `${ca}:/usr/local/share/ca-certificates/lab-ca.crt:ro`,
  ];
  if (model.runner.docker === 'socket') {
    volumes.push(`${CONTAINER_PATHS.dockerSocket}:${CONTAINER_PATHS.dockerSocket}`);
  } else {
    // The docker:dind service writes its client certificates here for the job to use.
    // https://docs.gitlab.com/ci/docker/using_docker_build/#docker-in-docker-with-tls-enabled-in-the-docker-executor
    volumes.push('/certs/client');
  }
  return volumes;
}
