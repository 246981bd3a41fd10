import { type LabModel, publicUrl } from '../config/model.js';
import { desiredServices } from '../stack/services.js';
import type { ServiceName } from '../stack/spec.js';
import { connectEngine } from './connect.js';
import { desiredService } from './desired.js';
import { type ObservedContainer, stackContainers } from './observe.js';

export interface ServiceStatus {
  service: ServiceName;
  container: string;
  /** Engine state, or "missing" when there is no container. */
  state: string;
  health: string | null;
  image: string | null;
  ports: { host: number; container: number }[];
  url: string | null;
  /** False when lab.yml (or a file the service reads at start) changed since the container was created. */
  upToDate: boolean | null;
}

export interface StatusReport {
  stack: string;
  engine: string;
  services: ServiceStatus[];
}

function urlOf(model: LabModel, service: ServiceName): string | null {
  if (service === 'gitlab') return publicUrl(model, model.hosts.gitlab);
  if (service === 'traefik') return publicUrl(model, model.hosts.traefik);
  return null;
}

export function serviceStatus(
  model: LabModel,
  service: ServiceName,
  name: string,
  c: ObservedContainer | undefined,
  hash: string,
): ServiceStatus {
  return {
    service,
    container: name,
    state: c?.state ?? 'missing',
    health: c?.health ?? null,
    image: c?.image ?? null,
    ports: (c?.ports ?? [])
      .map((p) => ({ host: p.host, container: p.container }))
      .filter((p, i, all) => all.findIndex((q) => q.host === p.host) === i),
    url: urlOf(model, service),
    upToDate: c ? c.hash === hash : null,
  };
}

/** One list call and a few file reads: `lab status` must answer in well under half a second. */
export async function stackStatus(model: LabModel, env: NodeJS.ProcessEnv): Promise<StatusReport> {
  const engine = await connectEngine(env);
  const [containers, desired] = await Promise.all([
    stackContainers(engine.docker, model.name),
    Promise.all(desiredServices(model).map((s) => desiredService(model, s))),
  ]);
  const services = desired.map(({ spec, hash }) =>
    serviceStatus(
      model,
      spec.service,
      spec.containerName,
      containers.find((c) => c.service === spec.service),
      hash,
    ),
  );
  return { stack: model.name, engine: engine.endpoint.address, services };
}

export function formatStatus(report: StatusReport): string[] {
  const rows = [
    ['SERVICE', 'STATE', 'HEALTH', 'IMAGE', 'PORTS', 'URL'],
    ...report.services.map((s) => [
      s.service,
      s.state + (s.upToDate === false ? ' (config changed: run `lab up`)' : ''),
      s.health ?? '-',
      s.image ?? '-',
      s.ports.map((p) => `${p.host}→${p.container}`).join(', ') || '-',
      s.url ?? '-',
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return [
    `stack "${report.stack}" on ${report.engine}`,
    ...rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')),
  ];
}
