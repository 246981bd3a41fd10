import type { LabModel } from '../config/model.js';
import type { Engine } from '../engine/connect.js';
import { convergeService, createNetwork, createVolume, recreateNetwork, restartContainer } from '../engine/converge.js';
import { execIn } from '../engine/exec.js';
import type { StackIdentity } from '../engine/labels.js';
import { lastLogLines } from '../engine/logs.js';
import { observeService } from '../engine/observe.js';
import { type ContainerAction, type DesiredService, type DesiredStack, type Plan, planContainer } from '../engine/plan.js';
import { describeProgress, pullImage } from '../engine/pull.js';
import { waitForContainer } from '../engine/readiness.js';
import { bootstrap, type ContainerRef } from '../gitlab/bootstrap/index.js';
import { type LabRoute, labHttpsClient } from '../net/https.js';
import type { TaskDef } from '../progress/tasks.js';
import type { ServiceDefinition } from '../services/definition.js';
import type { ServiceName } from '../services/registry.js';
import { containerSpecOf, desiredService } from '../stack/desired.js';
import { loadRenderInputs } from '../stack/inputs.js';
import { renderStack, writeStack } from '../stack/render.js';
import { labRoute } from '../stack/route.js';
import { registerSecret } from '../util/secrets.js';
import { elapsed } from '../util/time.js';

export interface UpPlan {
  engine: Engine;
  model: LabModel;
  stack: StackIdentity;
  plan: Plan;
  desired: DesiredStack;
  /** The services of this run, in start order. */
  services: ServiceDefinition<ServiceName>[];
  /** `lab up --timeout`: the budget of each wait. */
  timeoutMs: number;
}

/** The task tree of `lab up`: it only carries out what the plan decided. */
export function upTasks(up: UpPlan): TaskDef[] {
  const { engine, model, stack, plan } = up;
  const byService = new Map(up.desired.services.map((d) => [d.spec.service, d]));
  const containers = new Map<string, ContainerRef>();
  const pulls = plan.images.filter((i) => i.kind === 'pull-image');
  let routePromise: Promise<LabRoute> | undefined;
  const route = () => {
    routePromise ??= labRoute(model, engine.endpoint.publishedHost);
    return routePromise;
  };

  const defs: TaskDef[] = [];
  const infra = infraTasks(up);
  if (infra.length > 0) defs.push({ title: 'Network and volumes', children: infra, concurrent: true });
  if (pulls.length > 0) {
    defs.push({
      title: `Pull ${pulls.length} image${pulls.length === 1 ? '' : 's'}`,
      concurrent: true,
      children: pulls.map((p) => ({
        title: `pull ${p.image}`,
        run: async (t) => {
          await pullImage(engine.docker, p.image, (progress) => t.output(describeProgress(progress)));
          return undefined;
        },
      })),
    });
  }

  /** Re-plans one service right before acting: a pull may have changed the image ID. */
  const actionFor = async (d: DesiredService, planned: ContainerAction): Promise<ContainerAction> => {
    if (pulls.length === 0 && plan.network.kind !== 'recreate-network') return planned;
    const fresh = await observeService(engine.docker, model.name, d.spec.service, d.spec.image);
    return planContainer(d, fresh.container, fresh.imageId, false);
  };

  const first = up.services.filter((s) => s.start === 'stack');
  defs.push({
    title: 'Containers',
    concurrent: true,
    children: first.map((service): TaskDef => {
      const d = byService.get(service.name);
      const planned = plan.containers.find((c) => c.service === service.name);
      if (!d || !planned) throw new Error(`no plan for ${service.name}`);
      return {
        title: `${service.name}: ${planned.kind === 'keep' ? 'check' : planned.kind} ${d.spec.containerName}`,
        run: async (t) => {
          const result = await convergeService(engine, stack, d, await actionFor(d, planned), (text) => t.output(text));
          containers.set(service.name, { id: result.id, name: d.spec.containerName });
          return result.did;
        },
      };
    }),
  });

  defs.push({
    title: 'Readiness',
    concurrent: true,
    children: first.map((service) => ({
      title: `wait for ${service.name}`,
      run: async (t) => {
        const ref = containers.get(service.name);
        if (!ref || !service.readiness) return 'nothing to wait for';
        const r = await route();
        const probe = {
          exec: (cmd: string[]) => execIn(engine.docker, ref.id, cmd, { timeoutMs: 10_000 }),
          route: r,
          https: labHttpsClient(r),
        };
        let waited = 0;
        for (const strategy of service.readiness(model, probe)) {
          waited += await waitForContainer(engine, service.name, ref, strategy, {
            timeoutMs: up.timeoutMs,
            signal: t.signal,
            report: (text) => t.output(text),
          });
        }
        return `ready after ${elapsed(waited)}`;
      },
    })),
  });

  const later = up.services.filter((s) => s.start === 'after-bootstrap');
  if (later.length === 0) defs.push({ title: 'Runner', skip: 'skipped (--skip-runner)' });
  else defs.push({ title: 'Runner', children: [bootstrapTask(up, containers, route)] });
  return defs;
}

function infraTasks({ engine, stack, plan, desired }: UpPlan): TaskDef[] {
  const tasks: TaskDef[] = [];
  const net = plan.network;
  if (net.kind !== 'keep-network') {
    tasks.push({
      title: `${net.kind === 'create-network' ? 'create' : 'recreate'} network ${net.name} (${net.subnet})`,
      run: async () => {
        if (net.kind === 'create-network') await createNetwork(engine.docker, stack, desired.network);
        else await recreateNetwork(engine.docker, stack, desired.network, net.id);
        return undefined;
      },
    });
  }
  for (const v of plan.volumes) {
    if (v.kind !== 'create-volume') continue;
    tasks.push({
      title: `create volume ${v.name}`,
      run: async () => {
        await createVolume(engine.docker, stack, v.name);
        return undefined;
      },
    });
  }
  return tasks;
}

/** The GitLab bootstrap, which starts the runner itself once it has the runner's token. */
function bootstrapTask(up: UpPlan, containers: Map<string, ContainerRef>, route: () => Promise<LabRoute>): TaskDef {
  const { engine, model, stack } = up;
  const startRunner = async (token: string): Promise<{ ref: ContainerRef; kept: boolean; restarted: boolean }> => {
    registerSecret(token);
    const written = await writeStack(model, renderStack(model, { ...(await loadRenderInputs(model)), runnerToken: token }));
    const configChanged = written.some((f) => f.path === model.paths.runnerConfig && f.result !== 'unchanged');
    const d = await desiredService(model, containerSpecOf(model, 'runner'));
    const fresh = await observeService(engine.docker, model.name, 'runner', d.spec.image);
    const action = planContainer(d, fresh.container, fresh.imageId, false);
    const result = await convergeService(engine, stack, d, action);
    const ref = { id: result.id, name: d.spec.containerName };
    if (action.kind !== 'keep') return { ref, kept: false, restarted: false };
    // gitlab-runner reloads a changed config.toml within seconds by itself (common.ReloadConfigInterval),
    // but polls with the old token until then; a restart makes the moment of the switch known.
    if (configChanged) await restartContainer(engine.docker, result.id);
    return { ref, kept: !configChanged, restarted: configChanged };
  };
  return {
    title: 'GitLab bootstrap and runner',
    run: async (t) => {
      const gitlab = containers.get('gitlab');
      if (!gitlab) throw new Error('GitLab container unknown after start');
      const result = await bootstrap({
        model,
        gitlab,
        exec: (id, cmd, execOptions) => execIn(engine.docker, id, cmd, execOptions),
        https: async () => labHttpsClient(await route()),
        startRunner,
        lastLogLines: (id, n, options) => lastLogLines(engine.docker, id, n, options),
        containerState: async (id) => {
          const info = await engine.docker
            .getContainer(id)
            .inspect()
            .catch(() => undefined);
          return { running: info?.State.Running === true, exitCode: info?.State.ExitCode };
        },
        report: (text) => t.log(text),
        signal: t.signal,
        timeoutMs: up.timeoutMs,
      });
      return `runner #${result.runnerId} in contact`;
    },
  };
}
