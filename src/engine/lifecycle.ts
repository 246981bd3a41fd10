import type { CliContext } from '../cli/context.js';
import type { LabModel } from '../config/model.js';
import type { ServiceName } from '../stack/spec.js';
import { LabError } from '../util/errors.js';
import { stopContainer } from './apply.js';
import { connectEngine } from './connect.js';
import { streamLogs } from './logs.js';
import { stackContainers } from './observe.js';

/** `lab down`: stops this stack's containers; containers, network and volumes stay. */
export async function downStack(model: LabModel, ctx: Pick<CliContext, 'out' | 'env'>): Promise<void> {
  const { docker } = await connectEngine(ctx.env);
  const running = (await stackContainers(docker, model.name)).filter(
    (c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused',
  );
  if (running.length === 0) {
    ctx.out.result(`nothing running in stack "${model.name}"`);
    return;
  }
  // The runner goes first, so it does not poll a GitLab that is going away; GitLab and
  // Traefik may then stop side by side.
  const runner = running.filter((c) => c.service === 'runner');
  const rest = running.filter((c) => c.service !== 'runner');
  for (const group of [runner, rest]) {
    await Promise.all(
      group.map(async (c) => {
        ctx.out.info(`stopping ${c.name}`);
        await stopContainer(docker, c.id);
        ctx.out.result(`stopped ${c.name}`);
      }),
    );
  }
  ctx.out.info('Data, network and volumes are kept; `lab up` starts the lab again.');
}

export interface ServiceLogsOptions {
  follow: boolean;
  tail: number | 'all';
}

/** `lab logs <service>`: the container's own output, demultiplexed into stdout and stderr. */
export async function serviceLogs(
  model: LabModel,
  ctx: Pick<CliContext, 'env'>,
  service: ServiceName,
  options: ServiceLogsOptions,
): Promise<void> {
  const { docker } = await connectEngine(ctx.env);
  const container = (await stackContainers(docker, model.name)).find((c) => c.service === service);
  if (!container) {
    throw new LabError(`stack "${model.name}" has no ${service} container`, {
      hint: service === 'runner' ? 'The runner starts after the GitLab bootstrap in `lab up`.' : 'Run `lab up` first.',
    });
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  try {
    await streamLogs(docker, container.id, {
      follow: options.follow,
      tail: options.tail,
      stdout: process.stdout,
      stderr: process.stderr,
      signal: controller.signal,
    });
  } finally {
    process.off('SIGINT', stop);
  }
}
