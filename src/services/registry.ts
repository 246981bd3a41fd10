import type { LabModel } from '../config/model.js';
import type { ServiceDefinition } from './definition.js';
import { gitlab } from './gitlab/definition.js';
import { runner } from './runner/definition.js';
import { traefik } from './traefik/definition.js';

/** Every service of the lab, in start order. Adding a service: its folder, one line here. */
export const SERVICES = [traefik, gitlab, runner] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

export const SERVICE_NAMES: readonly ServiceName[] = SERVICES.map((s) => s.name);

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/** The services this lab runs, in start order. */
export function enabledServices(model: LabModel): ServiceDefinition<ServiceName>[] {
  return SERVICES.filter((s) => s.enabled(model));
}

export function serviceNamed(name: ServiceName): ServiceDefinition<ServiceName> {
  const found = SERVICES.find((s) => s.name === name);
  if (!found) throw new Error(`no service ${name}`);
  return found;
}
