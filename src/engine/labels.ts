import type { LabModel } from '../config/model.js';
import type { ServiceSpec } from '../stack/spec.js';

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

/** Labels of the network and volumes. */
export function stackLabels(model: LabModel): Labels {
  return { [LAB_LABELS.stack]: model.name, [LAB_LABELS.managed]: 'true' };
}

export function containerLabels(model: LabModel, spec: ServiceSpec, hash: string): Labels {
  const files = model.paths.composeFiles;
  return {
    [COMPOSE_LABELS.project]: model.name,
    [COMPOSE_LABELS.service]: spec.service,
    [COMPOSE_LABELS.oneoff]: 'False',
    [COMPOSE_LABELS.containerNumber]: '1',
    [COMPOSE_LABELS.configHash]: hash,
    [COMPOSE_LABELS.workingDir]: model.paths.composeDir,
    [COMPOSE_LABELS.configFiles]: [files.traefik, files.gitlab, files.runner].join(','),
    ...stackLabels(model),
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
