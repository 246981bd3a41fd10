import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { type LabModel, proxiedHosts, publicUrl, registryAddress } from '../../config/model.js';
import { generatedHeader } from '../../render/yaml.js';
import { CONTAINER_PATHS } from '../container-paths.js';
import { builderHosts, builderVolumes, buildStrategy } from './build-strategy.js';

/**
 * The runner's config.toml (gitlab-runner v19.x), mounted as /etc/gitlab-runner.
 * Keys: https://docs.gitlab.com/runner/configuration/advanced-configuration/
 *
 * The runner starts job containers through the engine, so every volume source below is a
 * path on the engine host, not in the runner container.
 *
 * Each job gets a network of its own (FF_NETWORK_PER_BUILD): two jobs never see each
 * other's services (two `docker` aliases of two dind services), and no job sees the lab's
 * internal names (`gitlab`, `traefik`). Jobs reach the lab hosts the way a laptop does:
 * extra_hosts send them to the engine host (`host-gateway`), where Traefik publishes its
 * ports, and the lab CA vouches for the certificates there.
 * https://docs.gitlab.com/runner/executors/docker/#create-a-network-for-each-job
 */
export function runnerConfig(model: LabModel, token: string): string {
  const strategy = buildStrategy(model);
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
        // The lab CA, for the runner's own API calls and the clone; jobs get it as CI_SERVER_TLS_CA_FILE.
        'tls-ca-file': CONTAINER_PATHS.caFile,
        ...(strategy.environment.length > 0 ? { environment: strategy.environment } : {}),
        pre_build_script: TRUST_LAB_CA,
        feature_flags: { FF_NETWORK_PER_BUILD: true },
        docker: {
          image: model.runner.defaultImage,
          extra_hosts: [...proxiedHosts(model.hosts).map((h) => `${h}:host-gateway`), ...builderHosts(model)],
          privileged: false,
          ...strategy.docker,
          pull_policy: model.runner.pullPolicy,
          volumes: [...jobVolumes(model), ...strategy.volumes, ...builderVolumes(model)],
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
 * Runs before every job's script: makes the lab CA trusted by the job image's own tools.
 * Images with `update-ca-certificates` (Debian, the docker image) adopt the mounted CA;
 * Alpine without it gets the CA appended to its bundle; an image without any bundle gets
 * the lab CA as its only one through the variables curl, git and OpenSSL read.
 */
export const TRUST_LAB_CA = [
  '# lab: trust the lab CA (mounted at /usr/local/share/ca-certificates/lab-ca.crt) in this image',
  'LAB_CA=/usr/local/share/ca-certificates/lab-ca.crt',
  'if command -v update-ca-certificates >/dev/null 2>&1; then update-ca-certificates >/dev/null 2>&1 || true',
  'elif [ -w /etc/ssl/certs/ca-certificates.crt ]; then cat "$LAB_CA" >> /etc/ssl/certs/ca-certificates.crt',
  'elif [ ! -e /etc/ssl/certs/ca-certificates.crt ]; then export SSL_CERT_FILE="$LAB_CA" CURL_CA_BUNDLE="$LAB_CA" GIT_SSL_CAINFO="$LAB_CA"',
  'fi',
].join('\n');

/**
 * A certs.d tree for jobs, rendered next to config.toml: `<registry host>[:port]/ca.crt`.
 * Mounted as a whole because a port in the folder name (`registry.test:8443`) cannot be
 * written in the `source:target:mode` volume syntax.
 */
export function jobCertsDirCa(model: LabModel): string {
  return join(model.paths.jobCertsDir, registryAddress(model), 'ca.crt');
}

function jobVolumes(model: LabModel): string[] {
  return [
    '/cache',
    // Docker clients in jobs (and the dind service, which gets the same volumes) trust the
    // lab registry through certs.d; https://docs.docker.com/engine/security/certificates/
    `${model.paths.jobCertsDir}:/etc/docker/certs.d:ro`,
    // For images that trust what lies in this folder after `update-ca-certificates`.
    `${model.paths.tlsCa}:/usr/local/share/ca-certificates/lab-ca.crt:ro`,
  ];
}
