import { type LabModel, publicUrl } from '../config/model.js';
import type { EngineEndpoint } from '../engine/endpoint.js';

export interface Summary {
  /** Where things are: printed even with --quiet. */
  result: string[];
  /** How to log in and what to do next. */
  info: string[];
}

/** The closing lines of `lab up`: where things are, how to log in, what to do next. */
export function summary(model: LabModel, endpoint: EngineEndpoint, runnerNote: string): Summary {
  const h = model.hosts;
  const result = [
    `lab "${model.name}" is up`,
    `  GitLab     ${publicUrl(model, h.gitlab)}`,
    `  Registry   ${publicUrl(model, h.registry)}`,
    `  Traefik    ${publicUrl(model, h.traefik)}`,
    ...(h.pages ? [`  Pages      ${publicUrl(model, `<group>.${h.pages}`)}`] : []),
    `  Git SSH    ssh://git@${h.gitlab}:${model.ports.ssh}`,
    `  Runner     ${runnerNote}`,
  ];
  const info = [
    '  Log in as root; `lab credentials` prints the password.',
    `  The names must resolve to ${endpoint.publishedHost} on this machine: \`lab hosts --write\` (or your own DNS).`,
    '  Trust the lab CA in browsers and tools: `lab trust`.',
    '  Next: `lab status`, `lab logs gitlab -f`, `lab down` to stop, `lab destroy` to remove.',
  ];
  return { result, info };
}
