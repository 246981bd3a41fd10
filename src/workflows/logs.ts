import type { Writable } from 'node:stream';
import type { LabModel } from '../config/model.js';
import { connectEngine } from '../engine/connect.js';
import { streamLogs } from '../engine/logs.js';
import { stackContainers } from '../engine/observe.js';
import type { ServiceName } from '../services/registry.js';
import { serviceNamed } from '../services/registry.js';
import { LabError } from '../util/errors.js';

export interface LogsOptions {
  follow: boolean;
  tail: number | 'all';
  stdout: Writable;
  stderr: Writable;
  /** Stops following. */
  signal: AbortSignal;
}

/** `lab logs <service>`: the container's own output, demultiplexed into stdout and stderr. */
export async function logs(model: LabModel, env: NodeJS.ProcessEnv, service: ServiceName, options: LogsOptions): Promise<void> {
  const { docker } = await connectEngine(env);
  const container = (await stackContainers(docker, model.name)).find((c) => c.service === service);
  if (!container) {
    const later = serviceNamed(service).start === 'after-bootstrap';
    throw new LabError(`stack "${model.name}" has no ${service} container`, {
      hint: later ? `The ${service} starts after the GitLab bootstrap in \`lab up\`.` : 'Run `lab up` first.',
    });
  }
  await streamLogs(docker, container.id, options);
}
