import { LAB_LAYOUT } from '../config/layout.js';
import type { LabModel } from '../config/model.js';
import type { StackIdentity } from '../engine/labels.js';
import type { ComposeProject } from '../render/compose.js';
import type { StackView } from '../services/definition.js';
import { enabledServices } from '../services/registry.js';

/** The routes every enabled service declares: what the proxy serves. */
export function stackView(model: LabModel): StackView {
  const services = enabledServices(model);
  return {
    routes: services.flatMap((s) => s.routes(model)),
    tcpRoutes: services.flatMap((s) => s.tcpRoutes?.(model) ?? []),
  };
}

/** `compose/<service>.yml`, lab-relative: one compose file per service. */
export function composeFileOf(service: string): string {
  return `${LAB_LAYOUT.composeDir}/${service}.yml`;
}

export function composeProject(model: LabModel): ComposeProject {
  return { name: model.name, files: enabledServices(model).map((s) => composeFileOf(s.name)) };
}

/** The stack as the engine sees it: name, labels, compose's labels, port keys for hints. */
export function stackIdentity(model: LabModel): StackIdentity {
  const portKeys = new Map<number, string>(Object.entries(model.ports).map(([key, port]) => [port, `ports.${key}`]));
  return {
    name: model.name,
    dir: model.paths.dir,
    composeDir: model.paths.composeDir,
    composeFiles: composeProject(model).files.map((f) => `${model.paths.dir}/${f}`),
    extraLabels: model.labels,
    portKeys,
  };
}
