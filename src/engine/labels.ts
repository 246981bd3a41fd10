import type { ContainerSpec } from './spec.js';

/**
 * lab's own labels. They are the only thing lab trusts when it decides that a
 * container, network or volume is its own: a matching name alone is never enough.
 */
export const LAB_LABELS = {
  stack: 'dev.lab.stack',
  service: 'dev.lab.service',
  configHash: 'dev.lab.config-hash',
  managed: 'dev.lab.managed',
} as const;

/**
 * compose's labels, so that `docker compose -p <name> ps|logs` recognise the containers.
 * https://github.com/docker/compose/blob/main/pkg/api/labels.go
 */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  oneoff: 'com.docker.compose.oneoff',
  containerNumber: 'com.docker.compose.container-number',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
} as const;

export type Labels = Record<string, string>;

/** What the engine needs to know of the stack it manages: its name and how it labels things. */
export interface StackIdentity {
  /** The stack (compose project) name; every resource carries it. */
  name: string;
  /** The lab folder: relative bind sources resolve against it. */
  dir: string;
  /** compose's working directory and files (absolute), for compose's labels. */
  composeDir: string;
  composeFiles: string[];
  /** More labels for every resource (lab.yml `labels:`); lab's own always win. */
  extraLabels: Labels;
  /** The configuration key of each published port (`ports.https`), for hints. */
  portKeys: ReadonlyMap<number, string>;
}

/** Labels of the network and volumes. */
export function stackLabels(stack: StackIdentity): Labels {
  return { ...stack.extraLabels, [LAB_LABELS.stack]: stack.name, [LAB_LABELS.managed]: 'true' };
}

export function containerLabels(stack: StackIdentity, spec: ContainerSpec, hash: string): Labels {
  return {
    ...stack.extraLabels,
    [COMPOSE_LABELS.project]: stack.name,
    [COMPOSE_LABELS.service]: spec.service,
    [COMPOSE_LABELS.oneoff]: 'False',
    [COMPOSE_LABELS.containerNumber]: '1',
    [COMPOSE_LABELS.configHash]: hash,
    [COMPOSE_LABELS.workingDir]: stack.composeDir,
    [COMPOSE_LABELS.configFiles]: stack.composeFiles.join(','),
    ...stackLabels(stack),
    [LAB_LABELS.service]: spec.service,
    [LAB_LABELS.configHash]: hash,
  };
}

/** Whether a resource carries this stack's labels (and is therefore lab's to change). */
export function ownedBy(labels: Labels | null | undefined, stack: string): boolean {
  return labels?.[LAB_LABELS.stack] === stack && labels[LAB_LABELS.managed] === 'true';
}

/** The engine-side filter for everything of one stack. */
export function stackFilter(stack: string): { label: string[] } {
  return { label: [`${LAB_LABELS.stack}=${stack}`, `${LAB_LABELS.managed}=true`] };
}
