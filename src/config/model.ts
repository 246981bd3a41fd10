import { PINNED_IMAGES } from './defaults.js';
import { broadcast, cidrContains, formatCidr, formatIpv4, gatewayOf, parseCidr, parseIpv4 } from '../util/cidr.js';
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
    docker: 'socket' | 'dind';
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
}

export interface LabHosts {
  gitlab: string;
  registry: string;
  traefik: string;
  /** Present only when Pages is enabled; project sites live at `*.<pages>`. */
  pages: string | undefined;
}

export interface ModelOptions {
  dir: string;
  /** `--caroot` or `LAB_CAROOT`; wins over `certs.caroot` in lab.yml. */
  caroot?: string | undefined;
}

/** A cross-field problem, addressed by its path in lab.yml. */
export interface ModelIssue {
  path: (string | number)[];
  message: string;
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

/** Checks that span several fields; the schema checks each field alone. */
export function crossCheck(config: LabConfig): ModelIssue[] {
  const issues: ModelIssue[] = [];
  const cidr = parseCidr(config.network.subnet);
  if (cidr && config.network.proxyIp !== undefined) {
    const ip = parseIpv4(config.network.proxyIp);
    const path = ['network', 'proxyIp'];
    if (ip === undefined) issues.push({ path, message: `"${config.network.proxyIp}" is not an IPv4 address` });
    else if (!cidrContains(cidr, ip))
      issues.push({ path, message: `${config.network.proxyIp} is outside the subnet ${config.network.subnet}` });
    else if (ip === cidr.network)
      issues.push({ path, message: `${config.network.proxyIp} is the network address of ${config.network.subnet}; pick a host address` });
    else if (ip === broadcast(cidr))
      issues.push({ path, message: `${config.network.proxyIp} is the broadcast address of ${config.network.subnet}; pick a host address` });
    else if (ip === gatewayOf(cidr))
      issues.push({
        path,
        message: `${config.network.proxyIp} is the subnet's gateway, which Docker takes for itself; pick another address`,
      });
  }

  const ports = config.ports;
  const seen = new Map<number, string>();
  for (const key of ['http', 'https', 'ssh'] as const) {
    const other = seen.get(ports[key]);
    if (other !== undefined)
      issues.push({ path: ['ports', key], message: `port ${ports[key]} is already used by ports.${other}; each port must be distinct` });
    else seen.set(ports[key], key);
  }

  for (const key of ['http', 'https'] as const) {
    if (ports[key] === TRAEFIK_INTERNAL_PORT) {
      issues.push({ path: ['ports', key], message: `port ${TRAEFIK_INTERNAL_PORT} is Traefik's internal ping entry point; pick another` });
    }
  }

  const hosts = hostsOf(config);
  const byName = new Map<string, string>();
  for (const [role, host] of Object.entries(hosts) as [keyof LabHosts, string | undefined][]) {
    if (host === undefined) continue;
    const other = byName.get(host);
    if (other !== undefined)
      issues.push({ path: ['hosts', role], message: `"${host}" is already the ${other} host; each lab host must be distinct` });
    else byName.set(host, role);
  }
  // Hosts derived from the domain are not checked by the schema; a long domain can push them past DNS's limit.
  for (const [role, host] of Object.entries(hosts) as [keyof LabHosts, string | undefined][]) {
    if (host !== undefined && host.length > 253) {
      issues.push({
        path: config.hosts[role] === undefined ? ['domain'] : ['hosts', role],
        message: `the ${role} host "${host.slice(0, 40)}…" is longer than 253 characters`,
      });
    }
  }
  if (hosts.pages) {
    for (const role of ['gitlab', 'registry', 'traefik'] as const) {
      if (hosts[role].endsWith(`.${hosts.pages}`)) {
        issues.push({
          path: ['hosts', role],
          message: `"${hosts[role]}" lies under the Pages wildcard *.${hosts.pages}; move it or the Pages host`,
        });
      }
    }
  }

  const permitted = config.certs.permittedDomains;
  if (permitted) {
    for (const host of proxiedHosts(hosts)) {
      if (!permitted.some((d) => isUnder(host, d))) {
        issues.push({
          path: ['certs', 'permittedDomains'],
          message: `does not cover the lab host "${host}"; the CA could not vouch for it`,
        });
      }
    }
  }

  for (const reserved of ['GITLAB_OMNIBUS_CONFIG', 'GITLAB_ROOT_PASSWORD']) {
    if (reserved in config.gitlab.environment) {
      issues.push({
        path: ['gitlab', 'environment', reserved],
        message: `is set by lab itself${reserved === 'GITLAB_OMNIBUS_CONFIG' ? '; put Ruby lines in gitlab.extraConfig instead' : ''}`,
      });
    }
  }
  return issues;
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
    runner: { ...config.runner, tags: [...config.runner.tags] },
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
  };
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
