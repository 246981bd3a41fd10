import { join } from 'node:path';
import type { LabModel } from '../config/model.js';
import { hashOf, networkHash, restartOnDigests, sha256 } from '../engine/hash.js';
import type { ObserveRequest } from '../engine/observe.js';
import type { DesiredService, DesiredStack } from '../engine/plan.js';
import type { ContainerSpec } from '../engine/spec.js';
import { enabledServices, type ServiceName } from '../services/registry.js';
import { stackView } from './view.js';

export interface DesiredOptions {
  /** Services to include (every enabled one by default); `--skip-runner` leaves the runner out. */
  services?: readonly ServiceName[];
  /**
   * Content that is about to be written (absolute path → bytes), used instead of the
   * file on disk when hashing: `lab up --dry-run` plans without writing anything.
   */
  pending?: ReadonlyMap<string, string>;
}

/** One service's container spec with its config hash. */
export async function desiredService(model: LabModel, spec: ContainerSpec, pending?: ReadonlyMap<string, string>): Promise<DesiredService> {
  const digests = await restartOnDigests(spec, model.paths.dir);
  if (pending) {
    for (const rel of spec.restartOn) {
      const content = pending.get(join(model.paths.dir, ...rel.split('/')));
      if (content !== undefined) digests[rel] = sha256(content);
    }
  }
  return { spec, hash: hashOf(spec, model.paths.dir, digests, model.labels) };
}

/** The container spec of every enabled service, in start order. */
export function containerSpecs(model: LabModel): ContainerSpec[] {
  const view = stackView(model);
  return enabledServices(model).map((s) => s.container(model, view));
}

/** The spec of one service. */
export function containerSpecOf(model: LabModel, service: ServiceName): ContainerSpec {
  const spec = containerSpecs(model).find((s) => s.service === service);
  if (!spec) throw new Error(`service ${service} is not part of this lab`);
  return spec;
}

/** Named volumes of the specs, in order, without duplicates. */
function volumesOf(specs: ContainerSpec[]): string[] {
  return [...new Set(specs.flatMap((s) => s.mounts.flatMap((m) => (m.type === 'volume' ? [m.source] : []))))];
}

/** The whole desired stack: network, volumes and the services with their config hashes. */
export async function desiredStack(model: LabModel, options: DesiredOptions = {}): Promise<DesiredStack> {
  const all = containerSpecs(model);
  const include = new Set<string>(options.services ?? all.map((s) => s.service));
  const services = await Promise.all(all.filter((s) => include.has(s.service)).map((s) => desiredService(model, s, options.pending)));
  const net = model.network;
  return {
    stack: model.name,
    network: { name: net.name, subnet: net.subnet, gateway: net.gateway, hash: networkHash(net) },
    volumes: volumesOf(all),
    services,
  };
}

/** What to look at in the engine: always every service's container, so conflicts show up early. */
export function observeRequest(model: LabModel, desired: DesiredStack): ObserveRequest {
  return {
    stack: model.name,
    containerNames: containerSpecs(model).map((s) => s.containerName),
    networkName: desired.network.name,
    volumeNames: desired.volumes,
    images: [...new Set(desired.services.map((s) => s.spec.image))],
  };
}
