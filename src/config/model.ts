import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { broadcast, formatCidr, formatIpv4, gatewayOf, parseCidr } from '../util/cidr.js';
import { PINNED_IMAGES } from './defaults.js';
import { type LabPaths, labPaths } from './layout.js';
import type { LabConfig } from './schema.js';

/**
 * The desired state of one lab, derived from lab.yml and nothing else.
 * Renderers and the engine read this; none of them read the config file.
 */
export interface LabModel {
  name: string;
  domain: string;
  hosts: LabHosts;
  network: { name: string; subnet: string; gateway: string; proxyIp: string };
  ports: { http: number; https: number; ssh: number };
  gitlab: {
    edition: 'ce' | 'ee';
    profile: 'small' | 'standard';
    pages: boolean;
    /** Ruby lines appended verbatim to the Omnibus config. */
    extraConfig: string[];
    environment: Record<string, string>;
  };
  runner: {
    concurrent: number;
    tags: string[];
    runUntagged: boolean;
    defaultImage: string;
    /** How jobs build images: the engine host's daemon, Docker-in-Docker, or a remote TLS engine. */
    docker: 'socket' | 'dind' | 'remote';
    /**
     * The engine's socket on the engine host, which the runner (and, in socket mode, jobs)
     * bind-mount: `runner.dockerSocket` from lab.yml, else the endpoint's own unix socket
     * (rootless Docker, Podman), else Docker's default path.
     */
    dockerSocket: string;
    /** The build engine of `docker: remote`. */
    remote: RemoteBuilder | undefined;
    pullPolicy: 'always' | 'if-not-present' | 'never';
  };
  images: { traefik: string; gitlab: string; runner: string };
  /** More labels on every container, network and volume lab creates (lab.yml `labels:`). */
  labels: Record<string, string>;
  volumes: { gitlabConfig: string; gitlabLogs: string; gitlabData: string };
  certs: {
    leafDays: number;
    /** DNS subtrees the CA may vouch for (nameConstraints). */
    permittedDomains: string[];
    /** IP subtrees (CIDR) the CA may vouch for. */
    permittedIps: string[];
    /** Every SAN of the leaf certificate. */
    leafNames: string[];
  };
  paths: LabPaths;
  /** lab.yml's `seed:` section as written (`lab seed` parses it); undefined when absent or empty. */
  seed: Record<string, unknown> | undefined;
}

/** A TLS-protected Docker engine elsewhere that jobs build on (`runner.docker: remote`). */
export interface RemoteBuilder {
  /** `tcp://host:port`. */
  host: string;
  /** The name or address in `host`. */
  hostname: string;
  port: number;
  /** ca.pem, cert.pem, key.pem for jobs (docker-machine's layout); undefined: lab mints a client certificate. */
  certPath: string | undefined;
  /** The address jobs use for `hostname` (extra_hosts), when it is a name. */
  address: string | undefined;
}

export interface LabHosts {
  gitlab: string;
  registry: string;
  traefik: string;
  /** Present only when Pages is enabled; project sites live at `*.<pages>`. */
  pages: string | undefined;
}

/** Where Docker puts its socket unless told otherwise. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface ModelOptions {
  dir: string;
  /** The unix socket of the engine lab talks to, when it is one on this machine. */
  engineSocket?: string | undefined;
  /** `--caroot` or `LAB_CAROOT`; wins over `certs.caroot` in lab.yml. */
  caroot?: string | undefined;
}

export function hostsOf(config: LabConfig): LabHosts {
  const d = config.domain;
  return {
    gitlab: config.hosts.gitlab ?? `gitlab.${d}`,
    registry: config.hosts.registry ?? `registry.${d}`,
    traefik: config.hosts.traefik ?? `traefik.${d}`,
    pages: config.gitlab.pages ? (config.hosts.pages ?? `pages.${d}`) : undefined,
  };
}

/** The hostnames that resolve to the proxy, in a stable order. */
export function proxiedHosts(hosts: LabHosts): string[] {
  return [hosts.gitlab, hosts.registry, hosts.traefik, ...(hosts.pages ? [hosts.pages] : [])];
}

/**
 * A lab host's URL as browsers, git, docker and CI jobs all see it. Traefik listens inside
 * the lab network on the same port it publishes, so one URL works on the host and in jobs.
 */
export function publicUrl(model: Pick<LabModel, 'ports'>, host: string): string {
  return `https://${httpsAuthority(model, host)}`;
}

/** `registry.<domain>[:port]`: the registry as image names and Docker's certs.d spell it. */
export function registryAddress(model: Pick<LabModel, 'ports' | 'hosts'>): string {
  return httpsAuthority(model, model.hosts.registry);
}

/** `host[:port]` of the HTTPS entry point; the port is left out when it is the default one. */
function httpsAuthority(model: Pick<LabModel, 'ports'>, host: string): string {
  return model.ports.https === 443 ? host : `${host}:${model.ports.https}`;
}

/** Traefik's own entry point for ping and the API; never published, so no lab port may use it. */
export const TRAEFIK_INTERNAL_PORT = 8082;

export function isUnder(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/** The proxy's address unless lab.yml sets one: the last usable address of the subnet. */
export function defaultProxyIp(subnet: string): string {
  const cidr = parseCidr(subnet);
  // Validated earlier; the fallback only keeps the types honest.
  return cidr ? formatIpv4(broadcast(cidr) - 1) : '';
}

/** Builds the model from a config that passed the schema and `crossCheck`. */
export function buildModel(config: LabConfig, options: ModelOptions): LabModel {
  const cidr = parseCidr(config.network.subnet);
  if (!cidr) throw new Error(`unvalidated subnet ${config.network.subnet}`);
  const hosts = hostsOf(config);
  const permittedDomains = unique([
    ...(config.certs.permittedDomains ?? [config.domain, ...proxiedHosts(hosts).filter((h) => !isUnder(h, config.domain))]),
    'localhost',
  ]);
  const extra = typeof config.gitlab.extraConfig === 'string' ? config.gitlab.extraConfig.split('\n') : config.gitlab.extraConfig;
  const caroot = options.caroot ?? config.certs.caroot;
  return {
    name: config.name,
    domain: config.domain,
    hosts,
    network: {
      name: config.network.name ?? `${config.name}-net`,
      subnet: formatCidr(cidr),
      gateway: formatIpv4(gatewayOf(cidr)),
      proxyIp: config.network.proxyIp ?? defaultProxyIp(config.network.subnet),
    },
    ports: { ...config.ports },
    gitlab: {
      edition: config.gitlab.edition,
      profile: config.gitlab.profile,
      pages: config.gitlab.pages,
      extraConfig: trimBlankEdges(extra),
      environment: Object.fromEntries(Object.entries(config.gitlab.environment).map(([k, v]) => [k, String(v)])),
    },
    runner: {
      concurrent: config.runner.concurrent,
      tags: [...config.runner.tags],
      runUntagged: config.runner.runUntagged,
      defaultImage: config.runner.defaultImage,
      docker: config.runner.docker,
      dockerSocket: config.runner.dockerSocket ?? options.engineSocket ?? DEFAULT_DOCKER_SOCKET,
      remote: remoteBuilder(config.runner.remote, options.dir),
      pullPolicy: config.runner.pullPolicy,
    },
    images: {
      traefik: config.images.traefik ?? PINNED_IMAGES.traefik,
      gitlab: config.images.gitlab ?? PINNED_IMAGES.gitlab[config.gitlab.edition],
      runner: config.images.runner ?? PINNED_IMAGES.runner,
    },
    labels: { ...config.labels },
    volumes: {
      gitlabConfig: `${config.name}-gitlab-config`,
      gitlabLogs: `${config.name}-gitlab-logs`,
      gitlabData: `${config.name}-gitlab-data`,
    },
    certs: {
      leafDays: config.certs.leafDays,
      permittedDomains,
      permittedIps: ['127.0.0.0/8', '::1/128', formatCidr(cidr)],
      leafNames: [...proxiedHosts(hosts), ...(hosts.pages ? [`*.${hosts.pages}`] : [])],
    },
    paths: labPaths(options.dir, caroot),
    seed: config.seed ?? undefined,
  };
}

function remoteBuilder(remote: LabConfig['runner']['remote'], dir: string): RemoteBuilder | undefined {
  if (!remote) return undefined;
  const url = new URL(remote.host.replace(/^tcp:/, 'http:'));
  const certPath = remote.certPath === undefined ? undefined : expandHome(remote.certPath, dir);
  return { host: remote.host, hostname: url.hostname, port: Number(url.port || 2376), certPath, address: remote.address };
}

/** `~/x` as the shell expands it; a relative path is relative to the lab folder. */
function expandHome(path: string, dir: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return resolve(dir, path);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function trimBlankEdges(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && (lines[start] ?? '').trim() === '') start++;
  while (end > start && (lines[end - 1] ?? '').trim() === '') end--;
  return lines.slice(start, end);
}
