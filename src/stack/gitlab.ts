import type { LabModel } from '../config/model.js';

// Provisional: the full Omnibus renderer (profiles, registry, pages) replaces this.
export function omnibusConfig(model: LabModel): string {
  return [`external_url 'https://${model.hosts.gitlab}'`, ...model.gitlab.extraConfig].join('\n') + '\n';
}
