import type Dockerode from 'dockerode';
import { cidrContains, parseCidr } from '../util/cidr.js';
import { errorMessage, LabError } from '../util/errors.js';
import type { Engine } from './connect.js';
import { containerCreateOptions, createError, readEnvFiles } from './create.js';
import { firstLine, statusOf, tolerate } from './errors.js';
import { containerLabels, LAB_LABELS, type StackIdentity, stackLabels } from './labels.js';
import { type ObservedState, stackContainers } from './observe.js';
import type { ContainerAction, DesiredNetwork, DesiredService, Plan } from './plan.js';
import { boundPortFromError, findPortHolders, portTakenError } from './ports.js';
import type { ContainerSpec } from './spec.js';

/**
 * Stops gracefully (the image's stop timeout), then removes. Named volumes (GitLab's data)
 * always stay; `v` removes only the anonymous volumes an image's VOLUME lines created for
 * this container, which would otherwise pile up with every recreate.
 */
export async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  await stopContainer(docker, id);
  await tolerate([404], () => docker.getContainer(id).remove({ v: true }));
}

/** A container that is already stopped (304) or gone (404) counts as stopped. */
export async function stopContainer(docker: Dockerode, id: string): Promise<void> {
  await tolerate([304, 404], () => docker.getContainer(id).stop());
}

/** Restarts a running container (a graceful stop first), so that its process reads its files anew. */
export async function restartContainer(docker: Dockerode, id: string): Promise<void> {
  await docker.getContainer(id).restart();
}

/** Names the network whose subnet overlaps ours, for the error message. */
async function overlapping(docker: Dockerode, subnet: string): Promise<string | undefined> {
  const ours = parseCidr(subnet);
  if (!ours) return undefined;
  const networks = await docker.listNetworks().catch(() => []);
  for (const n of networks) {
    for (const cfg of n.IPAM?.Config ?? []) {
      const theirs = cfg.Subnet ? parseCidr(cfg.Subnet) : undefined;
      if (theirs && (cidrContains(theirs, ours.network) || cidrContains(ours, theirs.network))) return `${n.Name} (${cfg.Subnet})`;
    }
  }
  return undefined;
}

export async function createNetwork(docker: Dockerode, stack: StackIdentity, net: DesiredNetwork): Promise<void> {
  try {
    await docker.createNetwork({
      Name: net.name,
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: net.subnet, Gateway: net.gateway }] },
      Labels: { ...stackLabels(stack), [LAB_LABELS.configHash]: net.hash },
    });
  } catch (err) {
    const message = errorMessage(err);
    if (/overlap/i.test(message)) {
      const other = await overlapping(docker, net.subnet);
      throw new LabError(`the subnet ${net.subnet} overlaps ${other ? `the Docker network ${other}` : 'another Docker network'}`, {
        hint: 'Pick another `network.subnet` in lab.yml (`docker network inspect` shows the subnets in use).',
        cause: err,
      });
    }
    throw new LabError(`cannot create the network ${net.name}: ${firstLine(message)}`, {
      hint: 'Check `docker network ls` and the engine log.',
      cause: err,
    });
  }
}

/** Recreating the network means every container of this stack goes first (they are attached to it). */
export async function recreateNetwork(docker: Dockerode, stack: StackIdentity, net: DesiredNetwork, id: string): Promise<void> {
  const ours = await stackContainers(docker, stack.name);
  await Promise.all(ours.map((c) => removeContainer(docker, c.id)));
  await tolerate([404], () => docker.getNetwork(id).remove());
  await createNetwork(docker, stack, net);
}

export async function createVolume(docker: Dockerode, stack: StackIdentity, name: string): Promise<void> {
  await docker.createVolume({ Name: name, Labels: stackLabels(stack) });
}

/**
 * Fails before anything starts when a port the plan is about to publish is taken. Ports
 * that this stack's own containers publish are skipped: lab replaces those itself.
 */
export async function preflightPorts(
  engine: Engine,
  stack: StackIdentity,
  plan: Plan,
  desired: DesiredService[],
  observed: ObservedState,
): Promise<void> {
  const starting = new Set(plan.containers.filter((c) => c.kind !== 'keep').map((c) => c.service));
  const own = Object.values(observed.containers).filter((c) => c !== undefined);
  const ownPorts = new Set(own.flatMap((c) => c.ports.map((p) => p.host)));
  const ports = desired
    .filter((d) => starting.has(d.spec.service))
    .flatMap((d) => d.spec.ports.map((p) => p.host))
    .filter((p) => !ownPorts.has(p));
  const holders = await findPortHolders(engine.docker, engine.endpoint, ports, new Set(own.map((c) => c.id)));
  if (holders.length > 0) throw portTakenError(stack, holders);
}

async function startContainer(engine: Engine, stack: StackIdentity, id: string, spec: ContainerSpec): Promise<void> {
  try {
    await engine.docker.getContainer(id).start();
  } catch (err) {
    if (statusOf(err) === 304) return; // already running
    const message = errorMessage(err);
    const port = boundPortFromError(message);
    if (port !== undefined) {
      const holders = await findPortHolders(engine.docker, engine.endpoint, [port], new Set([id])).catch(() => []);
      throw portTakenError(stack, holders.length > 0 ? holders : [{ port, holder: 'another program' }], err);
    }
    throw new LabError(`cannot start ${spec.containerName}: ${firstLine(message)}`, {
      hint: `See \`lab logs ${spec.service}\` and \`lab doctor\`.`,
      cause: err,
    });
  }
}

export interface ConvergeResult {
  id: string;
  /** What happened, for the task title: created, recreated, started, up to date. */
  did: string;
}

/** Brings one service to its desired state according to its planned action. */
export async function convergeService(
  engine: Engine,
  stack: StackIdentity,
  desired: DesiredService,
  action: ContainerAction,
  report: (text: string) => void = () => undefined,
): Promise<ConvergeResult> {
  const { docker } = engine;
  const spec = desired.spec;
  if (action.kind === 'keep') return { id: action.id, did: 'up to date' };
  if (action.kind === 'start') {
    report('starting');
    await startContainer(engine, stack, action.id, spec);
    return { id: action.id, did: 'started' };
  }
  if (action.kind === 'recreate') {
    report(`removing the old container (${action.reason})`);
    await removeContainer(docker, action.id);
  }
  report('creating');
  const options = containerCreateOptions(spec, {
    labDir: stack.dir,
    labels: containerLabels(stack, spec, desired.hash),
    envFromFiles: await readEnvFiles(spec, stack.dir),
  });
  let id: string;
  try {
    id = (await docker.createContainer(options)).id;
  } catch (err) {
    throw createError(spec, err, !engine.endpoint.local);
  }
  report('starting');
  await startContainer(engine, stack, id, spec);
  return { id, did: action.kind === 'recreate' ? `recreated (${action.reason})` : 'created' };
}
