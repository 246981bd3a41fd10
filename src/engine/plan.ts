import type { Conflict, ObservedContainer, ObservedState } from './observe.js';
import type { ContainerSpec } from './spec.js';

/**
 * Pure planning: the desired stack and the observed engine state in, the actions out.
 * No I/O here, so every decision can be tested without an engine.
 */

export type PullPolicy = 'always' | 'missing' | 'never';

export interface DesiredService {
  spec: ContainerSpec;
  hash: string;
}

export interface DesiredNetwork {
  name: string;
  subnet: string;
  gateway: string;
  hash: string;
}

export interface DesiredStack {
  stack: string;
  network: DesiredNetwork;
  volumes: string[];
  /** In start order. */
  services: DesiredService[];
}

export type NetworkAction =
  | { kind: 'create-network'; name: string; subnet: string }
  | { kind: 'recreate-network'; name: string; subnet: string; id: string; reason: string }
  | { kind: 'keep-network'; name: string; id: string };

export type VolumeAction = { kind: 'create-volume'; name: string } | { kind: 'keep-volume'; name: string };

export type ImageAction = { kind: 'pull-image'; image: string; reason: 'missing' | 'always' } | { kind: 'keep-image'; image: string };

export type ContainerAction =
  | { kind: 'create'; service: string; name: string; reason: string }
  | { kind: 'recreate'; service: string; name: string; id: string; reason: string }
  | { kind: 'start'; service: string; name: string; id: string; reason: string }
  | { kind: 'keep'; service: string; name: string; id: string };

export interface Removal {
  id: string;
  name: string;
  reason: string;
}

export interface Plan {
  network: NetworkAction;
  volumes: VolumeAction[];
  images: ImageAction[];
  containers: ContainerAction[];
  /** lab's own containers that must go before the network can be recreated. */
  removals: Removal[];
  /** lab's own containers that no desired service accounts for; reported, left alone. */
  strays: string[];
  /** Resources with a lab name but without this stack's labels: lab refuses to act. */
  conflicts: Conflict[];
  /** Images that are missing while `--pull never` forbids pulling them. */
  unavailableImages: string[];
}

export function planStack(desired: DesiredStack, observed: ObservedState, pull: PullPolicy): Plan {
  const network = planNetwork(desired.network, observed);
  const networkChanged = network.kind === 'recreate-network';

  const volumes: VolumeAction[] = desired.volumes.map((name) =>
    observed.volumes.includes(name) ? { kind: 'keep-volume', name } : { kind: 'create-volume', name },
  );

  const images: ImageAction[] = [];
  const unavailableImages: string[] = [];
  for (const image of unique(desired.services.map((s) => s.spec.image))) {
    const present = observed.images[image] !== undefined;
    if (pull === 'always') images.push({ kind: 'pull-image', image, reason: 'always' });
    else if (present) images.push({ kind: 'keep-image', image });
    else if (pull === 'never') unavailableImages.push(image);
    else images.push({ kind: 'pull-image', image, reason: 'missing' });
  }

  const containers = desired.services.map((d) =>
    planContainer(d, observed.containers[d.spec.service], observed.images[d.spec.image], networkChanged),
  );

  const desiredNames = new Set(desired.services.map((d) => d.spec.service));
  const removals: Removal[] = [];
  if (networkChanged) {
    for (const c of Object.values(observed.containers)) {
      if (c?.service && !desiredNames.has(c.service)) removals.push({ id: c.id, name: c.name, reason: 'the network is recreated' });
    }
    for (const c of observed.strays) removals.push({ id: c.id, name: c.name, reason: 'the network is recreated' });
  }
  const strays = networkChanged ? [] : observed.strays.map((c) => c.name);

  return { network, volumes, images, containers, removals, strays, conflicts: observed.conflicts, unavailableImages };
}

function planNetwork(desired: DesiredNetwork, observed: ObservedState): NetworkAction {
  const current = observed.network;
  if (!current) return { kind: 'create-network', name: desired.name, subnet: desired.subnet };
  if (current.hash !== desired.hash) {
    const reason = current.subnet !== desired.subnet ? `subnet ${current.subnet ?? '?'} → ${desired.subnet}` : 'network settings changed';
    return { kind: 'recreate-network', name: desired.name, subnet: desired.subnet, id: current.id, reason };
  }
  return { kind: 'keep-network', name: desired.name, id: current.id };
}

export function planContainer(
  desired: DesiredService,
  current: ObservedContainer | undefined,
  wantedImageId: string | undefined,
  networkChanged: boolean,
): ContainerAction {
  const service = desired.spec.service;
  const name = desired.spec.containerName;
  if (!current) return { kind: 'create', service, name, reason: 'missing' };
  const recreate = (reason: string): ContainerAction => ({ kind: 'recreate', service, name, id: current.id, reason });
  if (networkChanged) return recreate('the network is recreated');
  if (current.hash !== desired.hash) return recreate('config changed');
  // The same tag may point at a newer image after a pull (compose recreates then, too).
  if (wantedImageId !== undefined && current.imageId !== wantedImageId) return recreate('image changed');
  if (current.state === 'dead' || current.state === 'removing') return recreate(`container is ${current.state}`);
  if (current.state === 'running' || current.state === 'restarting') return { kind: 'keep', service, name, id: current.id };
  return { kind: 'start', service, name, id: current.id, reason: current.state };
}

/** Whether applying the plan would change anything. */
export function isNoop(plan: Plan): boolean {
  return (
    plan.network.kind === 'keep-network' &&
    plan.volumes.every((v) => v.kind === 'keep-volume') &&
    plan.images.every((i) => i.kind === 'keep-image') &&
    plan.containers.every((c) => c.kind === 'keep') &&
    plan.removals.length === 0
  );
}

/** Human lines for `lab up --dry-run`. */
export function describePlan(plan: Plan, deferred: ReadonlySet<string> = new Set()): string[] {
  const rows: [string, string, string][] = [];
  const n = plan.network;
  rows.push([
    'network',
    n.name,
    n.kind === 'create-network' ? `create (${n.subnet})` : n.kind === 'recreate-network' ? `recreate (${n.reason})` : 'keep',
  ]);
  for (const v of plan.volumes) rows.push(['volume', v.name, v.kind === 'create-volume' ? 'create' : 'keep']);
  for (const i of plan.images) rows.push(['image', i.image, i.kind === 'pull-image' ? `pull (${i.reason})` : 'present']);
  for (const image of plan.unavailableImages) rows.push(['image', image, 'missing, and --pull never forbids pulling it']);
  for (const r of plan.removals) rows.push(['remove', r.name, r.reason]);
  for (const c of plan.containers) {
    const what =
      c.kind === 'create'
        ? 'create'
        : c.kind === 'recreate'
          ? `recreate (${c.reason})`
          : c.kind === 'start'
            ? `start (${c.reason})`
            : 'keep (running, up to date)';
    rows.push([c.service, c.name, deferred.has(c.service) ? `${what}, after the GitLab bootstrap` : what]);
  }
  for (const s of plan.strays) rows.push(['stray', s, "lab's own container, not part of the desired stack; left alone"]);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** One line naming every conflicting resource; nothing is deleted. */
export function conflictMessage(conflicts: Conflict[]): string {
  const parts = conflicts.map((c) => `${c.kind} ${c.name}${c.otherStack ? ` (labelled for stack "${c.otherStack}")` : ''}`);
  return `${parts.join(', ')} already exist${conflicts.length === 1 ? 's' : ''} but ${conflicts.length === 1 ? 'was' : 'were'} not created by this lab`;
}
