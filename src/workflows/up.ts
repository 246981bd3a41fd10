import type { LabModel } from '../config/model.js';
import { connectEngine } from '../engine/connect.js';
import { preflightPorts } from '../engine/converge.js';
import { readEnvFiles } from '../engine/create.js';
import type { EngineEndpoint } from '../engine/endpoint.js';
import { observe } from '../engine/observe.js';
import { conflictMessage, describePlan, type PullPolicy, planStack } from '../engine/plan.js';
import { type DaemonFinding, socketDaemonFindings } from '../host/daemon-prerequisites.js';
import { loadLabCa } from '../host/trust/lab-ca.js';
import { warn } from '../progress/events.js';
import { runTasks } from '../progress/tasks.js';
import { enabledServices } from '../services/registry.js';
import { desiredStack, observeRequest } from '../stack/desired.js';
import { stackIdentity } from '../stack/view.js';
import { LabError } from '../util/errors.js';
import type { WorkflowContext } from './context.js';
import { pendingFiles, prepareFiles } from './prepare.js';
import { type Summary, summary } from './summary.js';
import { upTasks } from './up-tasks.js';

export interface UpOptions {
  dryRun: boolean;
  pull: PullPolicy;
  timeoutMs: number;
  /** Leave out what starts after the GitLab bootstrap (the runner), and the bootstrap itself. */
  skipRunner: boolean;
}

export type UpResult =
  | { kind: 'plan'; stack: string; engine: string; lines: string[] }
  | { kind: 'up'; summary: Summary; daemon: DaemonFinding[] };

/**
 * `lab up`: files first (certificates, secrets, rendered config), then the engine is
 * observed, a plan is made, and the plan's tasks run: network and volumes, pulls,
 * containers, readiness, and the GitLab bootstrap with the runner.
 */
export async function up(model: LabModel, ctx: WorkflowContext, options: UpOptions): Promise<UpResult> {
  const engine = await connectEngine(ctx.env);
  const stack = stackIdentity(model);
  const services = enabledServices(model).filter((s) => !(options.skipRunner && s.start === 'after-bootstrap'));
  const deferred = new Set(services.filter((s) => s.start === 'after-bootstrap').map((s) => s.name));

  const pending = options.dryRun ? await pendingFiles(model) : undefined;
  if (!options.dryRun) await prepareFiles(model, engine, ctx.progress);

  const desired = await desiredStack(model, { services: services.map((s) => s.name), ...(pending ? { pending } : {}) });
  // Reading the env files registers their values as secrets before anything can print them.
  await Promise.all(desired.services.map((d) => readEnvFiles(d.spec, model.paths.dir)));
  const observed = await observe(engine.docker, observeRequest(model, desired));
  const plan = planStack(desired, observed, options.pull);

  if (plan.conflicts.length > 0) {
    throw new LabError(conflictMessage(plan.conflicts), {
      hint: 'lab deletes nothing it did not create: remove or rename it yourself (docker rm / docker network rm / docker volume rm), or choose another `name:` in lab.yml.',
    });
  }
  if (options.dryRun) return { kind: 'plan', stack: model.name, engine: engine.endpoint.address, lines: describePlan(plan, deferred) };
  if (plan.unavailableImages.length > 0) {
    const [first] = plan.unavailableImages;
    const one = plan.unavailableImages.length === 1;
    throw new LabError(`${plan.unavailableImages.join(', ')} ${one ? 'is' : 'are'} not present and --pull never forbids pulling`, {
      hint: `Load or pull ${one ? 'it' : 'them'} yourself (\`docker pull ${first ?? ''}\`), or use --pull missing.`,
    });
  }
  for (const s of plan.strays)
    warn(ctx.progress, `note: ${s} carries this stack's labels but is no desired service; left alone (\`lab destroy\` removes it)`);
  await preflightPorts(engine, stack, plan, desired.services, observed);

  await runTasks(upTasks({ engine, model, stack, plan, desired, services, timeoutMs: options.timeoutMs }), ctx.progress);
  // Reaching this line means every task succeeded, the runner included unless skipped.
  const daemon =
    model.runner.docker === 'socket' && !options.skipRunner
      ? await socketModeFindings(model, engine.endpoint, ctx.lab ?? ((args) => `lab ${args}`))
      : [];
  return {
    kind: 'up',
    summary: summary(model, engine.endpoint, options.skipRunner ? 'skipped (--skip-runner)' : 'in contact with GitLab'),
    daemon,
  };
}

/** In socket mode the engine host's daemon serves the jobs: what it still lacks. */
async function socketModeFindings(model: LabModel, endpoint: EngineEndpoint, lab: (args: string) => string): Promise<DaemonFinding[]> {
  const ca = await loadLabCa(model);
  const findings = await socketDaemonFindings({ model, endpoint, caDer: ca.der, lab });
  return findings.filter((f) => f.status !== 'ok');
}
