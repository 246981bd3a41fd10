import type { LabModel } from '../config/model.js';
import { connectEngine } from '../engine/connect.js';
import { type ObservedContainer, stackContainers } from '../engine/observe.js';
import { enabledServices } from '../services/registry.js';
import { containerSpecs, desiredService } from '../stack/desired.js';

export interface ServiceStatus {
  service: string;
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

export function serviceStatus(
  service: string,
  name: string,
  url: string | null,
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
    url,
    upToDate: c ? c.hash === hash : null,
  };
}

/** One list call and a few file reads: `lab status` must answer in well under half a second. */
export async function status(model: LabModel, env: NodeJS.ProcessEnv): Promise<StatusReport> {
  const engine = await connectEngine(env);
  const urls = new Map(enabledServices(model).map((s) => [s.name as string, s.url?.(model) ?? null]));
  const [containers, desired] = await Promise.all([
    stackContainers(engine.docker, model.name),
    Promise.all(containerSpecs(model).map((s) => desiredService(model, s))),
  ]);
  const services = desired.map(({ spec, hash }) =>
    serviceStatus(
      spec.service,
      spec.containerName,
      urls.get(spec.service) ?? null,
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
