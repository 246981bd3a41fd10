import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import type { ObservedContainer, ObservedState } from '../../src/engine/observe.js';
import { conflictMessage, type DesiredStack, describePlan, isNoop, planStack } from '../../src/engine/plan.js';
import type { ServiceName } from '../../src/services/registry.js';
import { containerSpecs } from '../../src/stack/desired.js';

const model = buildModel(parseConfig('name: demo\n'), { dir: '/labs/demo' });

function desired(
  hashes: Partial<Record<ServiceName, string>> = {},
  services: ServiceName[] = ['traefik', 'gitlab', 'runner'],
): DesiredStack {
  return {
    stack: 'demo',
    network: { name: 'demo-net', subnet: '10.213.47.0/24', gateway: '10.213.47.1', hash: 'net-1' },
    volumes: ['demo-gitlab-config', 'demo-gitlab-logs', 'demo-gitlab-data'],
    services: containerSpecs(model)
      .filter((s) => (services as string[]).includes(s.service))
      .map((spec) => ({ spec, hash: hashes[spec.service as ServiceName] ?? `hash-${spec.service}` })),
  };
}

function container(service: ServiceName, overrides: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `id-${service}`,
    name: `demo-${service}-1`,
    service,
    state: 'running',
    status: 'Up 2 minutes',
    health: undefined,
    image: `img-${service}`,
    imageId: `sha256:${service}`,
    hash: `hash-${service}`,
    labels: {},
    ports: [],
    ...overrides,
  };
}

const images = (d: DesiredStack, present = true) =>
  Object.fromEntries(d.services.map((s) => [s.spec.image, present ? `sha256:${s.spec.service}` : undefined]));

function converged(d: DesiredStack): ObservedState {
  return {
    containers: { traefik: container('traefik'), gitlab: container('gitlab'), runner: container('runner') },
    strays: [],
    network: { id: 'net-id', name: 'demo-net', subnet: '10.213.47.0/24', hash: 'net-1' },
    volumes: [...d.volumes],
    images: images(d),
    conflicts: [],
  };
}

const empty = (d: DesiredStack, present = true): ObservedState => ({
  containers: {},
  strays: [],
  network: undefined,
  volumes: [],
  images: images(d, present),
  conflicts: [],
});

describe('planStack', () => {
  it('creates everything on an empty engine and pulls only missing images', () => {
    const d = desired();
    const plan = planStack(d, empty(d, false), 'missing');
    expect(plan.network).toEqual({ kind: 'create-network', name: 'demo-net', subnet: '10.213.47.0/24' });
    expect(plan.volumes.map((v) => v.kind)).toEqual(['create-volume', 'create-volume', 'create-volume']);
    expect(plan.images.map((i) => i.kind)).toEqual(['pull-image', 'pull-image', 'pull-image']);
    expect(plan.containers.map((c) => [c.service, c.kind])).toEqual([
      ['traefik', 'create'],
      ['gitlab', 'create'],
      ['runner', 'create'],
    ]);
    expect(isNoop(plan)).toBe(false);
  });

  it('is a no-op on a converged stack', () => {
    const d = desired();
    const plan = planStack(d, converged(d), 'missing');
    expect(plan.containers.every((c) => c.kind === 'keep')).toBe(true);
    expect(plan.images.every((i) => i.kind === 'keep-image')).toBe(true);
    expect(isNoop(plan)).toBe(true);
  });

  it('recreates only the container whose config hash changed', () => {
    const d = desired({ gitlab: 'hash-gitlab-v2' });
    const plan = planStack(d, converged(d), 'missing');
    expect(plan.containers.map((c) => c.kind)).toEqual(['keep', 'recreate', 'keep']);
    const gitlab = plan.containers[1];
    expect(gitlab).toMatchObject({ kind: 'recreate', id: 'id-gitlab', reason: 'config changed' });
  });

  it('starts stopped containers instead of recreating them', () => {
    const d = desired();
    const o = converged(d);
    o.containers.traefik = container('traefik', { state: 'exited' });
    o.containers.gitlab = container('gitlab', { state: 'created' });
    const plan = planStack(d, o, 'missing');
    expect(plan.containers.map((c) => c.kind)).toEqual(['start', 'start', 'keep']);
  });

  it('recreates a container whose image changed under the same tag', () => {
    const d = desired();
    const o = converged(d);
    o.images[d.services[0]?.spec.image ?? ''] = 'sha256:newer';
    const plan = planStack(d, o, 'missing');
    expect(plan.containers[0]).toMatchObject({ kind: 'recreate', reason: 'image changed' });
  });

  it('pulls every image with --pull always and none with --pull never', () => {
    const d = desired();
    expect(planStack(d, converged(d), 'always').images.every((i) => i.kind === 'pull-image')).toBe(true);
    const never = planStack(d, empty(d, false), 'never');
    expect(never.images).toEqual([]);
    expect(never.unavailableImages).toEqual(d.services.map((s) => s.spec.image));
  });

  it('recreates the network and every container when the subnet changes', () => {
    const d = desired();
    const o = converged(d);
    o.network = { id: 'net-id', name: 'demo-net', subnet: '10.99.0.0/24', hash: 'net-0' };
    const plan = planStack({ ...d, services: d.services.slice(0, 2) }, o, 'missing');
    expect(plan.network).toMatchObject({ kind: 'recreate-network', reason: 'subnet 10.99.0.0/24 → 10.213.47.0/24' });
    expect(plan.containers.map((c) => c.kind)).toEqual(['recreate', 'recreate']);
    // The runner is not desired in this run (--skip-runner) but blocks the network: it goes too.
    expect(plan.removals.map((r) => r.name)).toEqual(['demo-runner-1']);
  });

  it('passes conflicts through and names them in one line', () => {
    const d = desired();
    const o = empty(d);
    o.conflicts = [
      { kind: 'container', name: 'demo-gitlab-1', otherStack: undefined },
      { kind: 'volume', name: 'demo-gitlab-data', otherStack: 'other' },
    ];
    const plan = planStack(d, o, 'missing');
    expect(plan.conflicts).toHaveLength(2);
    expect(conflictMessage(plan.conflicts)).toBe(
      'container demo-gitlab-1, volume demo-gitlab-data (labelled for stack "other") already exist but were not created by this lab',
    );
  });

  it('leaves strays alone but reports them', () => {
    const d = desired();
    const o = converged(d);
    o.strays = [container('gitlab', { id: 'old', name: 'demo-gitlab-2' })];
    const plan = planStack(d, o, 'missing');
    expect(plan.strays).toEqual(['demo-gitlab-2']);
    expect(plan.removals).toEqual([]);
  });

  it('describes the plan as aligned lines for --dry-run', () => {
    const d = desired({ gitlab: 'changed' });
    const lines = describePlan(planStack(d, converged(d), 'missing'), new Set(['runner']));
    expect(lines.find((l) => l.startsWith('network'))).toMatch(/^network\s+demo-net\s+keep$/);
    expect(lines.find((l) => l.startsWith('gitlab'))).toMatch(/demo-gitlab-1\s+recreate \(config changed\)$/);
    expect(lines.find((l) => l.startsWith('runner'))).toMatch(/after the GitLab bootstrap$/);
  });
});
