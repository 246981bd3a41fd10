import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { type LabModel, proxiedHosts } from '../../config/model.js';
import type { EngineEndpoint } from '../../engine/endpoint.js';
import { errnoCode, errorMessage, fail, UsageError } from '../../util/errors.js';
import type { HostsEntry } from './block.js';

export type HostsTarget = 'published' | 'proxy';

export interface HostsPlan {
  target: HostsTarget;
  address: string;
  entries: HostsEntry[];
  /** Things the user should know about this mapping (the loopback registry trap, wildcards). */
  notes: string[];
}

/** The system hosts file of this OS. */
export function systemHostsFile(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'win32') return join(env.SystemRoot ?? env.windir ?? 'C:\\Windows', 'System32', 'drivers', 'etc', 'hosts');
  return '/etc/hosts';
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback: where dockerd assumes an insecure registry. */
export function isLoopbackIp(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return ip === '::1' || ip === '0:0:0:0:0:0:0:1';
}

/**
 * The address the published ports answer on. A hosts file needs an address, so a
 * remote engine's host name is resolved here.
 */
export async function resolvePublishedAddress(publishedHost: string): Promise<string> {
  if (isIP(publishedHost)) return publishedHost;
  if (publishedHost === 'localhost') return '127.0.0.1';
  try {
    const { address } = await lookup(publishedHost, { family: 4 }).catch(() => lookup(publishedHost));
    return address;
  } catch (err) {
    throw fail(
      `cannot resolve the engine host "${publishedHost}" to an address`,
      'Check DOCKER_HOST / the Docker context, or that the engine host resolves on this machine.',
      [String(err)],
    );
  }
}

/** Where each lab host should point for `target`, or a usage error when it cannot. */
export async function planHosts(
  model: LabModel,
  endpoint: EngineEndpoint,
  target: HostsTarget,
  platform: NodeJS.Platform = process.platform,
): Promise<HostsPlan> {
  let address: string;
  if (target === 'proxy') {
    if (!endpoint.local || platform !== 'linux') {
      const why = endpoint.local
        ? `on ${platform} the engine's networks live in a VM`
        : `the engine at ${endpoint.address} is not on this machine`;
      throw new UsageError(
        `--target proxy needs a local engine on Linux (${why})`,
        'Use --target published (the default): the names then point at the published ports.',
      );
    }
    address = model.network.proxyIp;
  } else {
    address = await resolvePublishedAddress(endpoint.publishedHost);
  }
  const entries = proxiedHosts(model.hosts).map((host) => ({ ip: address, host }));
  return { target, address, entries, notes: hostsNotes(model, entries) };
}

/** Warnings that go with a mapping; `lab doctor` shows the same ones. */
export function hostsNotes(model: LabModel, entries: HostsEntry[]): string[] {
  const notes: string[] = [];
  const registry = entries.find((e) => e.host === model.hosts.registry);
  if (registry && isLoopbackIp(registry.ip)) {
    // https://docs.docker.com/reference/api/engine/version/v1.57/schemas/RegistryServiceConfig/
    // ("By default, local registries (::1/128 and 127.0.0.0/8) are configured as insecure.")
    notes.push(
      `${model.hosts.registry} maps to ${registry.ip}: the Docker daemon treats registries on 127.0.0.0/8 as insecure and skips TLS verification for them, so pushes work even without trust and certificate problems stay hidden. With a local engine on Linux, \`lab hosts --target proxy\` maps it to the proxy's own address instead.`,
    );
  }
  if (model.hosts.pages) {
    notes.push(`hosts files have no wildcards: Pages sites under *.${model.hosts.pages} need a DNS resolver, or one line per site name.`);
  }
  return notes;
}

/** How one lab host resolves on this machine right now (for `lab doctor`). */
export interface HostResolution {
  host: string;
  /** What the system resolver (hosts file, then DNS) returns; empty when it fails. */
  addresses: string[];
  /** The resolver's error code (ENOTFOUND, EAI_AGAIN, ...) when it failed. */
  error: string | undefined;
  /** Some address is loopback: for the registry, the insecure-registry trap. */
  loopback: boolean;
}

/** Resolves a host through the system resolver, the way browsers and dockerd do. */
export async function resolveHost(host: string): Promise<HostResolution> {
  try {
    const addresses = [...new Set((await lookup(host, { all: true })).map((a) => a.address))];
    return { host, addresses, error: undefined, loopback: addresses.some(isLoopbackIp) };
  } catch (err) {
    return { host, addresses: [], error: errnoCode(err) ?? errorMessage(err), loopback: false };
  }
}
