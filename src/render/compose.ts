import { posix } from 'node:path';
import { Scalar } from 'yaml';
import { LAB_LAYOUT } from '../config/layout.js';
import type { ContainerSpec, Healthcheck, HostPath, Mount } from '../engine/spec.js';
import { generatedHeader, quoted, toYaml } from './yaml.js';

/** The compose project: the lab's name and its compose files (lab-relative), in start order. */
export interface ComposeProject {
  name: string;
  files: string[];
}

/**
 * Compose files from the same container specs the engine realises, one file per service.
 * Together (`docker compose -f compose/traefik.yml -f compose/gitlab.yml …`) they form one
 * project named after the lab, whose default container names (`<project>-<service>-1`) are
 * exactly the specs' containerName; so no container_name.
 * https://docs.docker.com/reference/compose-file/
 */
export function composeFile(project: ComposeProject, spec: ContainerSpec): string {
  const volumes = volumesOf(spec);
  const doc = {
    name: project.name,
    services: { [spec.service]: composeService(spec) },
    networks: { [spec.network.name]: { name: spec.network.name, external: true } },
    // lab creates the network and the volumes itself (and keeps them on `lab down`).
    ...(volumes.length > 0 ? { volumes: Object.fromEntries(volumes.map((v) => [v, { name: v, external: true }])) } : {}),
  };
  const header = generatedHeader([
    `The ${spec.service} service of the lab "${project.name}". To run the stack with compose instead of lab:`,
    `  docker compose ${project.files.map((f) => `-f ${f}`).join(' ')} up -d`,
    'lab creates the external network and volumes; `lab up` does all of it for you.',
  ]);
  return header + toYaml(escapeInterpolation(doc));
}

function composeService(spec: ContainerSpec): Record<string, unknown> {
  const service: Record<string, unknown> = {
    image: spec.image,
    hostname: spec.hostname,
    restart: spec.restart,
  };
  if (spec.privileged) service.privileged = true;
  if (spec.shmSizeBytes !== undefined) service.shm_size = byteSize(spec.shmSizeBytes);
  if (spec.stopGracePeriodSeconds !== undefined) service.stop_grace_period = seconds(spec.stopGracePeriodSeconds);
  const environment = Object.fromEntries(Object.entries(spec.environment).sort(([a], [b]) => a.localeCompare(b)));
  if (Object.keys(environment).length > 0) service.environment = environment;
  // The secrets file appears with the first `lab up`; until then compose must not insist on it.
  if (spec.envFiles.length > 0) service.env_file = spec.envFiles.map((file) => ({ path: composeRelative(file), required: false }));
  if (spec.ports.length > 0) service.ports = spec.ports.map((p) => quoted(`${p.host}:${p.container}`));
  if (spec.mounts.length > 0) service.volumes = spec.mounts.map(composeMount);
  service.networks = {
    [spec.network.name]: {
      ...(spec.network.ipv4Address ? { ipv4_address: spec.network.ipv4Address } : {}),
      aliases: [...spec.network.aliases],
    },
  };
  service.extra_hosts = spec.extraHosts.map((h) => `${h.host}:${h.ip}`);
  if (spec.healthcheck) service.healthcheck = composeHealthcheck(spec.healthcheck);
  return service;
}

function composeMount(mount: Mount): Record<string, unknown> {
  if (mount.type === 'volume') {
    return { type: 'volume', source: mount.source, target: mount.target, ...(mount.readOnly ? { read_only: true } : {}) };
  }
  return { type: 'bind', source: hostPath(mount.source), target: mount.target, ...(mount.readOnly ? { read_only: true } : {}) };
}

function hostPath(source: HostPath): string {
  return source.kind === 'host' ? source.path : composeRelative(source.path);
}

/** Compose resolves relative paths against the folder of the first -f file: compose/. */
export function composeRelative(labPath: string): string {
  const rel = posix.relative(LAB_LAYOUT.composeDir, labPath);
  return rel.startsWith('..') ? rel : `./${rel}`;
}

function composeHealthcheck(h: Healthcheck): Record<string, unknown> {
  return {
    test: [...h.test],
    interval: seconds(h.intervalSeconds),
    timeout: seconds(h.timeoutSeconds),
    retries: h.retries,
    start_period: seconds(h.startPeriodSeconds),
  };
}

function seconds(value: number): string {
  return `${value}s`;
}

/** Docker's size notation (binary units), e.g. 268435456 → "256m". */
export function byteSize(bytes: number): string {
  for (const [unit, size] of [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}b`;
}

function volumesOf(spec: ContainerSpec): string[] {
  return spec.mounts.flatMap((m) => (m.type === 'volume' ? [m.source] : []));
}

/**
 * Compose interpolates `$VAR` in every value; a literal dollar (Ruby in
 * GITLAB_OMNIBUS_CONFIG, say) must be written `$$`.
 * https://docs.docker.com/reference/compose-file/interpolation/
 */
export function escapeInterpolation<T>(value: T): T {
  if (typeof value === 'string') return value.replace(/\$/g, '$$$$') as T;
  if (value instanceof Scalar) {
    const copy = value.clone() as Scalar;
    if (typeof copy.value === 'string') copy.value = escapeInterpolation(copy.value);
    return copy as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => escapeInterpolation(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeInterpolation(v)])) as T;
  }
  return value;
}
