import type { LabModel } from '../config/model.js';
import { connectEngine } from '../engine/connect.js';
import { stopContainer } from '../engine/converge.js';
import { stackContainers } from '../engine/observe.js';
import { info } from '../progress/events.js';
import { SERVICES } from '../services/registry.js';
import type { WorkflowContext } from './context.js';

export interface DownResult {
  stack: string;
  stopped: string[];
}

/**
 * `lab down`: stops this stack's containers; containers, network and volumes stay. What
 * starts after the bootstrap (the runner) stops first, so it does not poll a GitLab that is
 * going away; the rest then stop side by side.
 */
export async function down(model: LabModel, ctx: WorkflowContext): Promise<DownResult> {
  const { docker } = await connectEngine(ctx.env);
  const active = new Set(['running', 'restarting', 'paused']);
  const running = (await stackContainers(docker, model.name)).filter((c) => active.has(c.state));
  const late = new Set<string>(SERVICES.filter((s) => s.start === 'after-bootstrap').map((s) => s.name));
  const stopped: string[] = [];
  for (const group of [running.filter((c) => late.has(c.service ?? '')), running.filter((c) => !late.has(c.service ?? ''))]) {
    await Promise.all(
      group.map(async (c) => {
        info(ctx.progress, `stopping ${c.name}`);
        await stopContainer(docker, c.id);
        stopped.push(c.name);
      }),
    );
  }
  return { stack: model.name, stopped };
}
