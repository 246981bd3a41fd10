import { ensureCerts } from '../certs/index.js';
import type { Output } from '../cli/output.js';
import type { LabModel } from '../config/model.js';
import { type BootstrapResult, bootstrap, type ContainerRef, prepareSecrets } from '../gitlab/bootstrap.js';
import { loadRenderInputs } from '../stack/inputs.js';
import { renderFiles, writeRendered } from '../stack/render.js';
import { containerName, runnerService } from '../stack/services.js';
import type { ServiceName } from '../stack/spec.js';
import { LabError } from '../util/errors.js';
import { registerSecret } from '../util/secrets.js';
import { convergeService, createNetwork, createVolume, preflightPorts, recreateNetwork } from './apply.js';
import { connectEngine, type Engine } from './connect.js';
import { readEnvFiles } from './create.js';
import { desiredService, desiredStack, observeRequest } from './desired.js';
import { execIn } from './exec.js';
import { labHttpsClient } from './https.js';
import { lastLogLines } from './logs.js';
import { observe, observeService, volumeExists } from './observe.js';
import {
  type ContainerAction,
  conflictMessage,
  type DesiredNetwork,
  type DesiredService,
  describePlan,
  type Plan,
  type PullPolicy,
  planContainer,
  planStack,
} from './plan.js';
import { createProgress, elapsed, type TaskDef } from './progress.js';
import { describeProgress, pullImage } from './pull.js';
import { labRoute, strategyFor, waitForService } from './readiness.js';
import { summary } from './summary.js';

export interface UpOptions {
  dryRun: boolean;
  pull: PullPolicy;
  timeoutMs: number;
  skipRunner: boolean;
}

export interface UpContext {
  out: Output;
  env: NodeJS.ProcessEnv;
}

/** Certificates, secrets and rendered files: everything the containers mount, before the plan hashes it. */
async function prepareFiles(model: LabModel, out: Output, engine: Engine): Promise<void> {
  const certs = await ensureCerts(model);
  out.info(`certificates: CA ${certs.ca.action}, leaf ${certs.leaf.action}${certs.leaf.reason ? ` (${certs.leaf.reason})` : ''}`);
  for (const warning of certs.warnings) out.warn(`note: ${warning}`);
  const gitlabDataExists = await volumeExists(engine.docker, model.volumes.gitlabData);
  for (const note of await prepareSecrets({ model, gitlabDataExists })) out.warn(`note: ${note}`);
  const written = await writeRendered(renderFiles(model, await loadRenderInputs(model)));
  const changed = written.filter((w) => w.result !== 'unchanged');
  out.info(
    `files: ${changed.length === 0 ? 'unchanged' : changed.map((w) => `${w.result} ${w.path.replace(`${model.paths.dir}/`, '')}`).join(', ')}`,
  );
}

export async function upStack(model: LabModel, ctx: UpContext, options: UpOptions): Promise<void> {
  const { out } = ctx;
  const engine = await connectEngine(ctx.env);
  const first: ServiceName[] = ['traefik', 'gitlab'];
  const services: ServiceName[] = options.skipRunner ? first : [...first, 'runner'];

  let pending: Map<string, string> | undefined;
  if (options.dryRun) {
    // Plan against the files as they would be rendered, without writing them.
    pending = new Map(renderFiles(model, await loadRenderInputs(model)).map((f) => [f.path, f.content]));
  } else {
    await prepareFiles(model, out, engine);
  }

  const desired = await desiredStack(model, { services, ...(pending ? { pending } : {}) });
  // Reading the env files registers their values as secrets before anything can print them.
  await Promise.all(desired.services.map((d) => readEnvFiles(d.spec, model.paths.dir)));
  const observed = await observe(engine.docker, observeRequest(model, desired));
  const plan = planStack(desired, observed, options.pull);

  if (plan.conflicts.length > 0) {
    throw new LabError(conflictMessage(plan.conflicts), {
      hint: 'lab deletes nothing it did not create: remove or rename it yourself (docker rm / docker network rm / docker volume rm), or choose another `name:` in lab.yml.',
    });
  }
  const deferred = new Set<ServiceName>(options.skipRunner ? [] : ['runner']);
  if (options.dryRun) {
    out.result(`plan for stack "${model.name}" on ${engine.endpoint.address} (dry run, nothing changed):`);
    for (const line of describePlan(plan, deferred)) out.result(`  ${line}`);
    return;
  }
  if (plan.unavailableImages.length > 0) {
    throw new LabError(
      `${plan.unavailableImages.join(', ')} ${plan.unavailableImages.length === 1 ? 'is' : 'are'} not present and --pull never forbids pulling`,
      {
        hint: `Load or pull ${plan.unavailableImages.length === 1 ? 'it' : 'them'} yourself (\`docker pull ${plan.unavailableImages[0] ?? ''}\`), or use --pull missing.`,
      },
    );
  }
  for (const s of plan.strays)
    out.warn(`note: ${s} carries this stack's labels but is no desired service; left alone (\`lab destroy\` removes it)`);
  await preflightPorts(engine, model, plan, desired.services, observed);

  await createProgress(out).run(buildTasks(engine, model, plan, desired.services, desired.network, options));
  // Reaching this line means every task succeeded, the runner included unless skipped.
  const done = summary(
    model,
    engine.endpoint,
    options.skipRunner ? 'skipped (--skip-runner)' : `${containerName(model, 'runner')} running`,
  );
  out.info('');
  for (const line of done.result) out.result(line);
  out.info('');
  for (const line of done.info) out.info(line);
}

function buildTasks(
  engine: Engine,
  model: LabModel,
  plan: Plan,
  desired: DesiredService[],
  desiredNet: DesiredNetwork,
  options: UpOptions,
): TaskDef[] {
  const defs: TaskDef[] = [];
  const byService = new Map(desired.map((d) => [d.spec.service, d]));
  const containers = new Map<ServiceName, ContainerRef>();

  const infra: TaskDef[] = [];
  const net = plan.network;
  if (net.kind !== 'keep-network') {
    infra.push({
      title: `${net.kind === 'create-network' ? 'create' : 'recreate'} network ${net.name} (${net.subnet})`,
      run: async () => {
        if (net.kind === 'create-network') await createNetwork(engine.docker, model, desiredNet);
        else await recreateNetwork(engine.docker, model, desiredNet, net.id);
      },
    });
  }
  for (const v of plan.volumes) {
    if (v.kind === 'create-volume') infra.push({ title: `create volume ${v.name}`, run: () => createVolume(engine.docker, model, v.name) });
  }
  if (infra.length > 0) defs.push({ title: 'Network and volumes', children: infra, concurrent: true });

  const pulls = plan.images.filter((i) => i.kind === 'pull-image');
  if (pulls.length > 0) {
    defs.push({
      title: `Pull ${pulls.length} image${pulls.length === 1 ? '' : 's'}`,
      concurrent: true,
      children: pulls.map((p) => ({
        title: `pull ${p.image}`,
        run: async (t) => {
          await pullImage(engine.docker, p.image, (progress) => t.output(describeProgress(progress)));
        },
      })),
    });
  }

  /** Re-plans one service right before acting: a pull may have changed the image ID. */
  const actionFor = async (d: DesiredService, planned: ContainerAction): Promise<ContainerAction> => {
    if (pulls.length === 0 && net.kind !== 'recreate-network') return planned;
    const fresh = await observeService(engine.docker, model.name, d.spec.service, d.spec.image);
    return planContainer(d, fresh.container, fresh.imageId, false);
  };

  const converge = (service: ServiceName): TaskDef => {
    const d = byService.get(service);
    const planned = plan.containers.find((c) => c.service === service);
    if (!d || !planned) throw new Error(`no plan for ${service}`);
    return {
      title: `${service}: ${planned.kind === 'keep' ? 'check' : planned.kind} ${d.spec.containerName}`,
      run: async (t) => {
        const result = await convergeService(engine, model, d, await actionFor(d, planned), (text) => t.output(text));
        containers.set(service, { id: result.id, name: d.spec.containerName });
        return result.did;
      },
    };
  };

  defs.push({ title: 'Containers', concurrent: true, children: (['traefik', 'gitlab'] as const).map(converge) });

  let routePromise: ReturnType<typeof labRoute> | undefined;
  const route = () => (routePromise ??= labRoute(model, engine));
  const waitTask = (service: ServiceName): TaskDef => ({
    title: `wait for ${service}`,
    run: async (t) => {
      const ref = containers.get(service);
      const strategy = strategyFor(service, model, await route());
      if (!ref || !strategy) return 'nothing to wait for';
      const ms = await waitForService(engine, service, ref, strategy, {
        timeoutMs: options.timeoutMs,
        signal: t.signal,
        report: (text) => t.output(text),
      });
      return `ready after ${elapsed(ms)}`;
    },
  });
  defs.push({ title: 'Readiness', concurrent: true, children: [waitTask('traefik'), waitTask('gitlab')] });

  if (options.skipRunner) {
    defs.push({ title: 'Runner', skip: 'skipped (--skip-runner)' });
  } else {
    let runnerStarted: ContainerRef | undefined;
    const startRunner = async (token: string): Promise<ContainerRef> => {
      registerSecret(token);
      await writeRendered(renderFiles(model, { ...(await loadRenderInputs(model)), runnerToken: token }));
      const d = await desiredService(model, runnerService(model));
      const fresh = await observeService(engine.docker, model.name, 'runner', d.spec.image);
      const action = planContainer(d, fresh.container, fresh.imageId, false);
      const result = await convergeService(engine, model, d, action);
      runnerStarted = { id: result.id, name: d.spec.containerName };
      return runnerStarted;
    };
    let result: BootstrapResult | undefined;
    defs.push({
      title: 'Runner',
      children: [
        {
          title: 'GitLab bootstrap',
          run: async (t) => {
            const gitlab = containers.get('gitlab');
            if (!gitlab) throw new Error('GitLab container unknown after start');
            result = await bootstrap({
              model,
              gitlab,
              exec: (id, cmd, execOptions) => execIn(engine.docker, id, cmd, execOptions),
              https: async () => labHttpsClient(await route()),
              startRunner,
              lastLogLines: (id, n) => lastLogLines(engine.docker, id, n ?? 30),
              report: (text) => t.log(text),
              signal: t.signal,
              timeoutMs: options.timeoutMs,
            });
            return 'done';
          },
        },
        {
          title: `runner: ${containerName(model, 'runner')}`,
          run: async () => {
            if (!result) throw new Error('the GitLab bootstrap ended without a runner token');
            // The bootstrap starts the runner itself; this covers a bootstrap that only returns the token.
            if (!runnerStarted) await startRunner(result.runnerToken);
            return 'running';
          },
        },
      ],
    });
  }
  return defs;
}
