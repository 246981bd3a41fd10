import { readdir, rm, rmdir } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import type { LabModel } from '../config/model.js';
import { connectEngine } from '../engine/connect.js';
import { removeContainer } from '../engine/converge.js';
import { firstLine } from '../engine/errors.js';
import { stackFilter } from '../engine/labels.js';
import { stackContainers, toObserved } from '../engine/observe.js';
import { readRunnerRecord, runnerShortToken } from '../gitlab/bootstrap/runner-record.js';
import { teardown } from '../gitlab/bootstrap/teardown.js';
import { info } from '../progress/events.js';
import { labClient } from '../stack/route.js';
import { errnoCode, errorMessage, LabError } from '../util/errors.js';
import type { WorkflowContext } from './context.js';

export interface DestroyOptions {
  purgeCerts: boolean;
  /** Asked once the inventory is known; false aborts with nothing removed. */
  confirm(inventory: Inventory): Promise<boolean>;
}

/** What `lab destroy` would remove: only resources carrying this stack's labels. */
export interface Inventory {
  engine: string;
  containers: string[];
  networks: string[];
  volumes: string[];
  /** Certificate files, and the CA when it lives inside the lab folder. */
  certs: string[];
}

export type DestroyResult =
  | { kind: 'nothing'; stack: string; engine: string }
  | { kind: 'aborted' }
  | { kind: 'destroyed'; removed: string[]; keptCa: string | undefined };

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Removes the named files (only those) and then the folder if that left it empty. */
async function removeFiles(dir: string, names: string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      await rm(path);
      removed.push(path);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  const left = await readdir(dir).catch(() => undefined);
  if (left !== undefined && left.length === 0) await rmdir(dir).catch(() => undefined);
  return removed;
}

const LEAF_FILES = ['lab.pem', 'lab-key.pem', 'ca.pem'];
const CA_FILES = ['rootCA.pem', 'rootCA-key.pem'];

/**
 * `lab destroy`: removes exactly the containers, network and volumes that carry this
 * stack's labels. A resource with a look-alike name but without the labels is not lab's.
 */
export async function destroy(model: LabModel, ctx: WorkflowContext, options: DestroyOptions): Promise<DestroyResult> {
  const engine = await connectEngine(ctx.env);
  const { docker } = engine;
  // What the lab's runner made for its jobs carries gitlab-runner's labels, not lab's: the
  // kept cache volumes, and anything a killed job left. It is this lab's, so it goes too.
  const runner = await readRunnerRecord(model.paths.runnerRecord).catch(() => undefined);
  const jobs = runner ? { label: [`com.gitlab.gitlab-runner.runner.id=${runnerShortToken(runner.token)}`] } : undefined;
  const filters = stackFilter(model.name);
  const [ours, networks, volumes, jobContainers, jobNetworks, jobVolumes] = await Promise.all([
    stackContainers(docker, model.name),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }).then((r) => r.Volumes ?? []),
    jobs ? docker.listContainers({ all: true, filters: jobs }) : Promise.resolve([]),
    jobs ? docker.listNetworks({ filters: jobs }) : Promise.resolve([]),
    jobs ? docker.listVolumes({ filters: jobs }).then((r) => r.Volumes ?? []) : Promise.resolve([]),
  ]);
  const containers = [...ours, ...jobContainers.map(toObserved)];
  networks.push(...jobNetworks);
  volumes.push(...jobVolumes);
  const paths = model.paths;
  const caInside = inside(paths.dir, paths.caroot);
  const inventory: Inventory = {
    engine: engine.endpoint.address,
    containers: containers.map((c) => c.name),
    networks: networks.map((n) => n.Name),
    volumes: volumes.map((v) => v.Name),
    certs: options.purgeCerts ? [paths.tlsDir, ...(caInside ? [paths.caroot] : [])] : [],
  };
  if (containers.length + networks.length + volumes.length === 0 && !options.purgeCerts) {
    return { kind: 'nothing', stack: model.name, engine: engine.endpoint.address };
  }
  if (!(await options.confirm(inventory))) return { kind: 'aborted' };

  // The runner is deleted in GitLab while GitLab still exists; teardown never throws.
  const gitlab = containers.find((c) => c.service === 'gitlab');
  await teardown({
    model,
    gitlab: !gitlab ? 'missing' : gitlab.state === 'running' ? 'running' : 'stopped',
    https: () => labClient(model, engine.endpoint.publishedHost),
    report: (text) => info(ctx.progress, text),
  });

  const removed: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
      removed.push(what);
    } catch (err) {
      failures.push(`${what}: ${firstLine(errorMessage(err))}`);
    }
  };
  await Promise.all(containers.map((c) => attempt(`container ${c.name}`, () => removeContainer(docker, c.id))));
  // The containers are gone by now: their networks and volumes can go.
  await Promise.all(networks.map((n) => attempt(`network ${n.Name}`, () => docker.getNetwork(n.Id).remove())));
  await Promise.all(volumes.map((v) => attempt(`volume ${v.Name}`, () => docker.getVolume(v.Name).remove())));

  let keptCa: string | undefined;
  if (options.purgeCerts) {
    removed.push(...(await removeFiles(paths.tlsDir, LEAF_FILES)));
    if (caInside) removed.push(...(await removeFiles(paths.caroot, CA_FILES)));
    else keptCa = paths.caroot;
  }

  if (failures.length > 0) {
    throw new LabError(`could not remove ${failures.length} resource${failures.length === 1 ? '' : 's'}: ${failures[0] ?? ''}`, {
      hint: 'Something else may still use it (`docker ps -a`, `docker network inspect`); run `lab destroy` again once it is free.',
      details: failures.slice(1),
    });
  }
  return { kind: 'destroyed', removed, keptCa };
}
