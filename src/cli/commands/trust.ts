import { readFile } from 'node:fs/promises';
import type { LabModel } from '../../config/model.js';
import { describeStep, type Privilege, runSteps, type Step } from '../../host/privilege.js';
import { checkTrust } from '../../host/trust/check.js';
import { buildTrustContext, buildUninstallContext, planInstall, planUninstall, storeApplicability } from '../../host/trust/index.js';
import { forgetInstall, locationOf, readTrustRecord, recordInstall, storeOf, type TrustStore } from '../../host/trust/record.js';
import { type InstallPlan, TRUST_STORES, type TrustCheck } from '../../host/trust/types.js';
import { builderCertDir } from '../../services/runner/build-strategy.js';
import { UsageError } from '../../util/errors.js';
import type { CliContext } from '../context.js';
import { loadLabFor } from '../lab.js';
import { withLock } from '../lock.js';
import type { Output } from '../output.js';

export interface TrustOptions {
  system?: boolean;
  nss?: boolean;
  docker?: boolean;
  java?: boolean;
  check?: boolean;
  uninstall?: boolean;
  dryRun?: boolean;
}

export default async function trust(options: TrustOptions, ctx: CliContext): Promise<number> {
  if (options.check && options.uninstall)
    throw new UsageError(
      '--check and --uninstall exclude each other',
      'Run `lab trust --uninstall`, then `lab trust --check` if you want proof.',
    );
  const { model } = await loadLabFor(ctx);
  const explicit = TRUST_STORES.filter((s) => options[s] === true);
  // --check and --dry-run change nothing; installing and uninstalling take the lab's lock.
  if (options.check) return check(model, explicit, ctx);
  if (options.dryRun) return options.uninstall ? uninstall(model, explicit, true, ctx) : install(model, explicit, true, ctx);
  return withLock(model, 'trust', ctx, () =>
    options.uninstall ? uninstall(model, explicit, false, ctx) : install(model, explicit, false, ctx),
  );
}

const pad = (store: string) => store.padEnd(6);

function printSteps(out: Output, steps: Step[], privilege: Privilege): void {
  for (const step of steps) out.result(`    $ ${describeStep(step, privilege)}`);
}

async function install(model: LabModel, explicit: TrustStore[], dryRun: boolean, ctx: CliContext): Promise<number> {
  const { out } = ctx;
  const s = out.style;
  const tctx = await buildTrustContext(model, ctx.env);
  const recorded = await readTrustRecord(model.paths.stateDir);
  let failed = false;
  const stores: TrustStore[] = [];
  for (const { store, applicability } of await storeApplicability(tctx, explicit.length > 0 ? explicit : TRUST_STORES)) {
    if (applicability.applies) {
      stores.push(store);
    } else if (explicit.includes(store)) {
      failed = true;
      out.warn(`${s.red('fail')} ${pad(store)} ${applicability.reason}`);
      if (applicability.hint) out.warn(`       ${s.yellow('hint:')} ${applicability.hint}`);
    } else {
      out.info(s.dim(`skip ${pad(store)} ${applicability.reason}${applicability.hint ? ` (${applicability.hint})` : ''}`));
    }
  }
  for (const stale of recorded.filter((e) => stores.includes(storeOf(e)) && e.fingerprint256 !== tctx.ca.fingerprint256)) {
    out.warn(
      `${s.yellow('note:')} ${locationOf(stale)} still trusts an earlier CA of this lab; \`lab trust --uninstall\` removes it (then run \`lab trust\` again)`,
    );
  }
  const plans = await planInstall(tctx, stores, recorded);
  for (const plan of plans) failed = (await applyPlan(plan, explicit, dryRun, tctx.privilege, model, ctx)) || failed;
  if (model.runner.docker === 'remote' && (explicit.length === 0 || explicit.includes('docker'))) {
    failed = (await trustBuilder(model, dryRun, ctx)) || failed;
  }
  if (stores.length === 0 && !failed) out.result('no trust store applies on this machine; nothing to do');
  if (dryRun) out.info('dry run: nothing was changed');
  return failed ? 1 : 0;
}

/** The remote build engine's daemon, which pushes to the lab registry itself; returns whether that failed. */
async function trustBuilder(model: LabModel, dryRun: boolean, ctx: CliContext): Promise<boolean> {
  const { out } = ctx;
  const s = out.style;
  const dir = builderCertDir(model);
  if (!dir) return false;
  if (dryRun) {
    out.result(
      `plan docker  ${model.runner.remote?.hostname ?? 'builder'}: the lab CA into its /etc/docker/certs.d, through the Engine API`,
    );
    return false;
  }
  const { trustOnBuilder } = await import('../../host/trust/builder.js');
  const result = await trustOnBuilder(model, await readFile(model.paths.tlsCa, 'utf8'), dir, ctx.env);
  if (result.status === 'installed') {
    out.result(`${s.green('ok')}   docker ${result.location}: ${result.detail}`);
    return false;
  }
  out.warn(`${s.yellow('todo')} docker ${result.location}: ${result.detail}; run on the builder:`);
  for (const command of result.commands) out.warn(`    $ ${command}`);
  return true;
}

/** Runs one plan and prints its line; returns whether it counts as a failure. */
async function applyPlan(
  plan: InstallPlan,
  explicit: TrustStore[],
  dryRun: boolean,
  privilege: Privilege,
  model: LabModel,
  ctx: CliContext,
): Promise<boolean> {
  const { out } = ctx;
  const s = out.style;
  const head = `${pad(plan.store)} `;
  const tail = plan.message ? ` (${plan.message})` : '';
  switch (plan.status) {
    case 'installed':
      out.result(`${s.green('ok')}   ${head}already installed: ${plan.location}`);
      return false;
    case 'present':
      out.result(`${s.green('ok')}   ${head}already present: ${plan.location}${tail}`);
      return false;
    case 'conflict':
    case 'unavailable': {
      const fatal = plan.status === 'conflict' || explicit.includes(plan.store);
      out.warn(`${fatal ? s.red('fail') : s.yellow('warn')} ${head}${plan.message ?? plan.status}: ${plan.location}`);
      if (plan.hint) out.warn(`       ${s.yellow('hint:')} ${plan.hint}`);
      return fatal;
    }
    case 'install':
      if (dryRun) {
        out.result(`would install ${head}${plan.location}`);
        printSteps(out, plan.steps, privilege);
        return false;
      }
      // Recorded before the steps run: if one fails halfway, --uninstall still knows
      // where to look (each store's uninstall checks what is really there).
      if (plan.record) await recordInstall(model.paths.stateDir, plan.record);
      await runSteps(plan.steps, privilege, ctx.env);
      out.result(`${s.green('ok')}   ${head}installed: ${plan.location}${tail}`);
      return false;
  }
}

async function uninstall(model: LabModel, explicit: TrustStore[], dryRun: boolean, ctx: CliContext): Promise<number> {
  const { out } = ctx;
  const recorded = await readTrustRecord(model.paths.stateDir);
  const entries = recorded.filter((e) => explicit.length === 0 || explicit.includes(storeOf(e)));
  if (entries.length === 0) {
    out.result(`lab recorded no trust installation${explicit.length > 0 ? ` in ${explicit.join(', ')}` : ''}; nothing to remove`);
    return 0;
  }
  const uctx = await buildUninstallContext(ctx.env);
  for (const plan of await planUninstall(entries, uctx)) {
    const where = `${pad(storeOf(plan.entry))} ${locationOf(plan.entry)}`;
    for (const note of plan.notes) out.warn(`${out.style.yellow('note:')} ${note}`);
    if (dryRun) {
      out.result(`would remove ${where}`);
      printSteps(out, plan.steps, uctx.privilege);
      continue;
    }
    await runSteps(plan.steps, uctx.privilege, ctx.env);
    await forgetInstall(model.paths.stateDir, plan.entry);
    out.result(`removed ${where}`);
  }
  if (dryRun) out.info('dry run: nothing was changed');
  return 0;
}

async function check(model: LabModel, explicit: TrustStore[], ctx: CliContext): Promise<number> {
  const { out } = ctx;
  const checks = await checkTrust({ model, env: ctx.env, ...(explicit.length > 0 ? { stores: explicit } : {}) });
  if (checks.length === 0) {
    out.result('nothing to check: no trust store applies on this machine');
    return 0;
  }
  for (const c of checks) printCheck(out, c);
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

function printCheck(out: Output, c: TrustCheck): void {
  const s = out.style;
  const status = c.status === 'ok' ? s.green('ok  ') : c.status === 'warn' ? s.yellow('warn') : s.red('fail');
  out.result(`${status} ${pad(c.store)} ${c.detail}`);
  out.result(s.dim(`            via: ${c.method}`));
  if (c.fix) out.result(`            fix: ${c.fix}`);
}
