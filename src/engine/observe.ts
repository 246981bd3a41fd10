import type Dockerode from 'dockerode';
import { statusOf } from './errors.js';
import { LAB_LABELS, type Labels, ownedBy, stackFilter } from './labels.js';

export interface ObservedPort {
  ip: string;
  host: number;
  container: number;
}

export interface ObservedContainer {
  id: string;
  name: string;
  /** The service label; undefined on a container without one. */
  service: string | undefined;
  /** Engine state: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  /** The engine's human status, e.g. "Up 3 minutes (healthy)". */
  status: string;
  health: 'healthy' | 'unhealthy' | 'starting' | undefined;
  image: string;
  imageId: string;
  hash: string | undefined;
  labels: Labels;
  ports: ObservedPort[];
}

export interface ObservedNetwork {
  id: string;
  name: string;
  subnet: string | undefined;
  hash: string | undefined;
}

/** A resource with a name lab wants, but without this stack's labels. Never touched. */
export interface Conflict {
  kind: 'container' | 'network' | 'volume';
  name: string;
  /** The stack it belongs to, if it carries another lab stack's labels. */
  otherStack: string | undefined;
}

export interface ObservedState {
  /** This stack's containers, by service. */
  containers: Record<string, ObservedContainer | undefined>;
  /** This stack's containers that are no (longer a) desired service, or duplicates. */
  strays: ObservedContainer[];
  network: ObservedNetwork | undefined;
  /** This stack's volumes among the wanted names. */
  volumes: string[];
  /** Image reference → local image ID; absent when the image is not present. */
  images: Record<string, string | undefined>;
  conflicts: Conflict[];
}

export interface ObserveRequest {
  stack: string;
  containerNames: string[];
  networkName: string;
  volumeNames: string[];
  images: string[];
}

export function healthOf(status: string): ObservedContainer['health'] {
  if (/\(healthy\)/.test(status)) return 'healthy';
  if (/\(unhealthy\)/.test(status)) return 'unhealthy';
  if (/\(health: starting\)/.test(status)) return 'starting';
  return undefined;
}

/** The engine lists names with a leading slash; lab's names have none. */
export function nameOf(info: Dockerode.ContainerInfo): string {
  return (info.Names[0] ?? info.Id.slice(0, 12)).replace(/^\//, '');
}

export function toObserved(info: Dockerode.ContainerInfo): ObservedContainer {
  const labels = info.Labels ?? {};
  const service = labels[LAB_LABELS.service];
  return {
    id: info.Id,
    name: nameOf(info),
    service: service || undefined,
    state: info.State,
    status: info.Status,
    health: healthOf(info.Status),
    image: info.Image,
    imageId: info.ImageID,
    hash: labels[LAB_LABELS.configHash],
    labels,
    ports: (info.Ports ?? []).filter((p) => p.PublicPort).map((p) => ({ ip: p.IP, host: p.PublicPort, container: p.PrivatePort })),
  };
}

/** This stack's containers only, by label. */
export async function stackContainers(docker: Dockerode, stack: string): Promise<ObservedContainer[]> {
  const list = await docker.listContainers({ all: true, filters: stackFilter(stack) });
  return list.map(toObserved);
}

async function imageId(docker: Dockerode, ref: string): Promise<string | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return info.Id;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/**
 * Reads what the engine has: this stack's labelled resources, and anything else that
 * merely carries one of the wanted names (a conflict). All queries run in parallel.
 */
export async function observe(docker: Dockerode, req: ObserveRequest): Promise<ObservedState> {
  const [owned, named, networks, volumes, imageIds] = await Promise.all([
    stackContainers(docker, req.stack),
    req.containerNames.length > 0 ? docker.listContainers({ all: true, filters: { name: req.containerNames } }) : Promise.resolve([]),
    docker.listNetworks({ filters: { name: [req.networkName] } }),
    req.volumeNames.length > 0
      ? docker.listVolumes({ filters: { name: req.volumeNames } })
      : Promise.resolve({ Volumes: [], Warnings: [] }),
    Promise.all(req.images.map(async (ref) => [ref, await imageId(docker, ref)] as const)),
  ]);

  const conflicts: Conflict[] = [];
  const other = (labels: Labels | null | undefined) => labels?.[LAB_LABELS.stack];

  const containers: ObservedState['containers'] = {};
  const strays: ObservedContainer[] = [];
  for (const c of owned) {
    if (c.service && !containers[c.service] && req.containerNames.includes(c.name)) containers[c.service] = c;
    else strays.push(c);
  }
  // The engine's name filter matches substrings; only exact names can conflict.
  for (const info of named) {
    const name = nameOf(info);
    if (req.containerNames.includes(name) && !ownedBy(info.Labels, req.stack))
      conflicts.push({ kind: 'container', name, otherStack: other(info.Labels) });
  }

  let network: ObservedNetwork | undefined;
  for (const n of networks) {
    if (n.Name !== req.networkName) continue;
    if (!ownedBy(n.Labels, req.stack)) {
      conflicts.push({ kind: 'network', name: n.Name, otherStack: other(n.Labels) });
      continue;
    }
    network = { id: n.Id, name: n.Name, subnet: n.IPAM?.Config?.[0]?.Subnet, hash: n.Labels?.[LAB_LABELS.configHash] };
  }

  const ownedVolumes: string[] = [];
  for (const v of volumes.Volumes ?? []) {
    if (!req.volumeNames.includes(v.Name)) continue;
    if (ownedBy(v.Labels, req.stack)) ownedVolumes.push(v.Name);
    else conflicts.push({ kind: 'volume', name: v.Name, otherStack: other(v.Labels) });
  }

  return { containers, strays, network, volumes: ownedVolumes, images: Object.fromEntries(imageIds), conflicts };
}

/** One service's container and its image's local ID: a cheap re-look right before acting. */
export async function observeService(
  docker: Dockerode,
  stack: string,
  service: string,
  image: string,
): Promise<{ container: ObservedContainer | undefined; imageId: string | undefined }> {
  const [owned, id] = await Promise.all([stackContainers(docker, stack), imageId(docker, image)]);
  return { container: owned.find((c) => c.service === service), imageId: id };
}

/** Whether a volume of exactly this name exists (the name filter alone matches substrings). */
export async function volumeExists(docker: Dockerode, name: string): Promise<boolean> {
  const { Volumes } = await docker.listVolumes({ filters: { name: [name] } });
  return (Volumes ?? []).some((v) => v.Name === name);
}
