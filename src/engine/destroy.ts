import { readdir, rm, rmdir } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { CliContext } from '../cli/context.js';
import type { LabModel } from '../config/model.js';
import { teardown } from '../gitlab/bootstrap.js';
import { errnoCode, errorMessage, LabError, UsageError } from '../util/errors.js';
import { removeContainer } from './apply.js';
import { connectEngine } from './connect.js';
import { firstLine } from './errors.js';
import { stackFilter } from './labels.js';
import { stackContainers } from './observe.js';
import { labClient } from './readiness.js';

export interface DestroyOptions {
  yes: boolean;
  purgeCerts: boolean;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

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

/**
 * `lab destroy`: removes exactly the containers, network and volumes that carry this
 * stack's labels. A resource with a look-alike name but without the labels is not lab's.
 */
export async function destroyStack(model: LabModel, ctx: Pick<CliContext, 'out' | 'env'>, options: DestroyOptions): Promise<number> {
  const { out } = ctx;
  const canAsk = out.interactive && process.stdin.isTTY === true;
  if (!options.yes && !canAsk) {
    throw new UsageError(
      `refusing to destroy stack "${model.name}" without --yes: there is no terminal to ask for confirmation`,
      'Run `lab destroy --yes` to remove its containers, network and volumes (all GitLab data is lost).',
    );
  }
  const engine = await connectEngine(ctx.env);
  const { docker } = engine;
  const filters = stackFilter(model.name);
  const [containers, networks, volumes] = await Promise.all([
    stackContainers(docker, model.name),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }).then((r) => r.Volumes ?? []),
  ]);
  const nothing = containers.length === 0 && networks.length === 0 && volumes.length === 0;
  if (nothing && !options.purgeCerts) {
    out.result(`nothing to remove: stack "${model.name}" has no containers, network or volumes on ${engine.endpoint.address}`);
    return 0;
  }

  if (!options.yes) {
    out.info(`This removes from ${engine.endpoint.address}:`);
    for (const c of containers) out.info(`  container ${c.name}`);
    for (const n of networks) out.info(`  network   ${n.Name}`);
    for (const v of volumes) out.info(`  volume    ${v.Name}  (GitLab data is lost)`);
    if (options.purgeCerts)
      out.info(
        `  and the certificates under ${model.paths.tlsDir}${inside(model.paths.dir, model.paths.caroot) ? ` and the CA in ${model.paths.caroot}` : ''}`,
      );
    if (!(await confirm(`Destroy stack "${model.name}"? [y/N] `))) {
      out.result('aborted; nothing was removed');
      return 1;
    }
  }

  // The runner is deleted in GitLab while GitLab still exists; teardown never throws.
  const gitlab = containers.find((c) => c.service === 'gitlab');
  await teardown({
    model,
    docker,
    gitlab: gitlab ? { id: gitlab.id, name: gitlab.name } : undefined,
    https: () => labClient(model, engine),
    report: (text) => out.info(text),
  });

  const failures: string[] = [];
  const attempt = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
      out.result(`removed ${what}`);
    } catch (err) {
      failures.push(`${what}: ${firstLine(errorMessage(err))}`);
    }
  };
  await Promise.all(containers.map((c) => attempt(`container ${c.name}`, () => removeContainer(docker, c.id))));
  await Promise.all(networks.map((n) => attempt(`network ${n.Name}`, () => docker.getNetwork(n.Id).remove())));
  await Promise.all(volumes.map((v) => attempt(`volume ${v.Name}`, () => docker.getVolume(v.Name).remove())));

  if (options.purgeCerts) {
    const p = model.paths;
    for (const f of await removeFiles(p.tlsDir, ['lab.pem', 'lab-key.pem', 'ca.pem'])) out.result(`removed ${f}`);
    if (inside(p.dir, p.caroot)) {
      for (const f of await removeFiles(p.caroot, ['rootCA.pem', 'rootCA-key.pem'])) out.result(`removed ${f}`);
    } else {
      out.info(`kept the CA in ${p.caroot}: it lives outside this lab folder and may be shared`);
    }
  } else {
    out.info('Kept certs/ (the CA stays trusted where you installed it); --purge-certs removes it.');
  }

  if (failures.length > 0) {
    throw new LabError(`could not remove ${failures.length} resource${failures.length === 1 ? '' : 's'}: ${failures[0] ?? ''}`, {
      hint: 'Something else may still use it (`docker ps -a`, `docker network inspect`); run `lab destroy` again once it is free.',
      details: failures.slice(1),
    });
  }
  return 0;
}
