import { join } from 'node:path';
import type { LabModel } from '../config/model.js';
import { desiredServices } from '../stack/services.js';
import { SERVICE_NAMES, type ServiceName, type ServiceSpec } from '../stack/spec.js';
import { hashOf, networkHash, restartOnDigests, sha256 } from './hash.js';
import type { ObserveRequest } from './observe.js';
import type { DesiredService, DesiredStack } from './plan.js';

export interface DesiredOptions {
  /** Services to include (all by default); `--skip-runner` leaves the runner out. */
  services?: readonly ServiceName[];
  /**
   * Content that is about to be written (absolute path → bytes), used instead of the
   * file on disk when hashing: `lab up --dry-run` plans without writing anything.
   */
  pending?: ReadonlyMap<string, string>;
}

export async function desiredService(model: LabModel, spec: ServiceSpec, pending?: ReadonlyMap<string, string>): Promise<DesiredService> {
  const digests = await restartOnDigests(spec, model.paths.dir);
  if (pending) {
    for (const rel of spec.restartOn) {
      const content = pending.get(join(model.paths.dir, ...rel.split('/')));
      if (content !== undefined) digests[rel] = sha256(content);
    }
  }
  return { spec, hash: hashOf(spec, model.paths.dir, digests) };
}

/** The whole desired stack: network, volumes and the services with their config hashes. */
export async function desiredStack(model: LabModel, options: DesiredOptions = {}): Promise<DesiredStack> {
  const include = new Set(options.services ?? SERVICE_NAMES);
  const specs = desiredServices(model).filter((s) => include.has(s.service));
  const services = await Promise.all(specs.map((s) => desiredService(model, s, options.pending)));
  const net = model.network;
  return {
    stack: model.name,
    network: { name: net.name, subnet: net.subnet, gateway: net.gateway, hash: networkHash(net) },
    volumes: [model.volumes.gitlabConfig, model.volumes.gitlabLogs, model.volumes.gitlabData],
    services,
  };
}

/** What to look at in the engine: always every service name, so conflicts show up early. */
export function observeRequest(model: LabModel, desired: DesiredStack): ObserveRequest {
  return {
    stack: model.name,
    containerNames: desiredServices(model).map((s) => s.containerName),
    networkName: desired.network.name,
    volumeNames: desired.volumes,
    images: [...new Set(desired.services.map((s) => s.spec.image))],
  };
}
