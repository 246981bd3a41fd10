import { broadcast, cidrContains, gatewayOf, parseCidr, parseIpv4 } from '../util/cidr.js';
import { hostsOf, isUnder, type LabHosts, proxiedHosts, TRAEFIK_INTERNAL_PORT } from './model.js';
import type { LabConfig } from './schema.js';

/** A cross-field problem, addressed by its path in lab.yml. */
export interface ModelIssue {
  path: (string | number)[];
  message: string;
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

  if (config.runner.docker === 'remote' && !config.runner.remote) {
    issues.push({
      path: ['runner', 'docker'],
      message: 'is "remote", but runner.remote.host names no engine; add runner.remote: { host: tcp://<builder>:2376 }',
    });
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
