import { TRAEFIK_INTERNAL_PORT } from '../config/model.js';

/**
 * Where things live inside the containers and which ports the services listen on.
 * Shared by the service definitions and their configuration renderers.
 */
export const CONTAINER_PATHS = {
  traefikConfigDir: '/etc/traefik',
  traefikDynamicDir: '/etc/traefik/dynamic',
  tlsDir: '/etc/lab/tls',
  /** The leaf certificate (full chain) and its key, as Traefik sees them. */
  leafCert: '/etc/lab/tls/lab.pem',
  leafKey: '/etc/lab/tls/lab-key.pem',
  /** The CA certificate alone, for services that only need to trust it. */
  caFile: '/etc/lab/ca.pem',
  gitlabTrustedCa: '/etc/gitlab/trusted-certs/lab-ca.crt',
  runnerConfigDir: '/etc/gitlab-runner',
  dockerSocket: '/var/run/docker.sock',
} as const;

/**
 * Ports the services listen on inside the lab network. Traefik's web and websecure entry
 * points are absent on purpose: they listen on the published ports (`ports.http`,
 * `ports.https`), so that a URL such as https://gitlab.test:8443 means the same on the host
 * and inside the network.
 */
export const SERVICE_PORTS = {
  /** Traefik's own entrypoint for ping and the dashboard's API; never published. */
  traefikInternal: TRAEFIK_INTERNAL_PORT,
  gitlabHttp: 80,
  gitlabSsh: 22,
  registryHttp: 5050,
  pagesHttp: 8090,
  /** The GitLab Pages daemon behind its NGINX, on the container's loopback only. */
  pagesDaemon: 8091,
} as const;
