import type { LabModel } from '../../config/model.js';
import { stackContainers } from '../../engine/observe.js';
import { findPortHolders, portKey } from '../../engine/ports.js';
import { stackIdentity } from '../../stack/view.js';
import type { DoctorCheck } from '../types.js';
import { ENGINE_CHECK } from './engine.js';

/** A free port near `port` to suggest in the fix (never a privileged one). */
function suggestion(port: number): number {
  if (port === 80) return 8080;
  if (port === 443) return 8443;
  return port + 1000 <= 65535 ? port + 1000 : port - 1000;
}

function labPorts(model: LabModel): number[] {
  return [model.ports.http, model.ports.https, model.ports.ssh];
}

/**
 * The published ports are free, or held by this lab's own containers (that is the lab
 * running). Anything else is named, as `lab up` would name it when it fails.
 */
export const portsCheck: DoctorCheck = {
  id: 'ports',
  title: 'published ports (http, https, ssh)',
  needs: [ENGINE_CHECK],
  async run(ctx) {
    const { engine } = await ctx.engine();
    const { model } = ctx;
    const ports = labPorts(model);
    const own = await stackContainers(engine.docker, model.name);
    const mine = new Map<number, string>();
    for (const c of own) {
      if (c.state !== 'running' && c.state !== 'restarting') continue;
      for (const p of c.ports) if (ports.includes(p.host)) mine.set(p.host, c.name);
    }
    // The lab's own ports are held by its containers (and by docker-proxy for them): only
    // the others need to be tested.
    const others = ports.filter((p) => !mine.has(p));
    const holders = await findPortHolders(engine.docker, engine.endpoint, others, new Set(own.map((c) => c.id)));
    const describe = (port: number): string => {
      const key = portKey(stackIdentity(model), port);
      const holder = holders.find((h) => h.port === port);
      if (holder) return `${port} (${key}) is taken by ${holder.holder}`;
      const container = mine.get(port);
      return container ? `${port} (${key}) is this lab's (${container})` : `${port} (${key}) is free`;
    };
    const detail = ports.map(describe).join('; ');
    const first = holders[0];
    if (!first) return { status: 'ok', detail };
    const key = portKey(stackIdentity(model), first.port).replace('ports.', '');
    return {
      status: 'fail',
      detail,
      fix: `Stop what holds ${holders.map((h) => h.port).join(' and ')}, or choose another port in lab.yml, e.g. \`ports: { ${key}: ${suggestion(first.port)} }\`, then run \`${ctx.lab('up')}\`.`,
    };
  },
};
