import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { certutilInstallHint, exists, type PlatformInfo, which } from '../platform.js';
import type { Step } from '../privilege.js';
import { fingerprintOf } from './lab-ca.js';
import { commandProbe } from './probe.js';
import type { TrustInstall } from './record.js';
import type { Applicability, InstallPlan, TrustCheck, TrustContext, UninstallContext, UninstallPlan } from './types.js';

/** An NSS database: `sql:` for cert9.db, `dbm:` for the legacy cert8.db. */
export interface NssDb {
  spec: string;
  dir: string;
  kind: 'nssdb' | 'firefox';
}

async function dbIn(dir: string, kind: NssDb['kind']): Promise<NssDb | undefined> {
  if (await exists(join(dir, 'cert9.db'))) return { spec: `sql:${dir}`, dir, kind };
  if (await exists(join(dir, 'cert8.db'))) return { spec: `dbm:${dir}`, dir, kind };
  return undefined;
}

function firefoxRoots(platform: PlatformInfo, env: NodeJS.ProcessEnv): string[] {
  const home = platform.home;
  if (platform.os === 'darwin') return [join(home, 'Library', 'Application Support', 'Firefox', 'Profiles')];
  if (platform.os === 'win32') return env.APPDATA ? [join(env.APPDATA, 'Mozilla', 'Firefox', 'Profiles')] : [];
  // The plain package, the snap and the flatpak each keep their own profiles.
  return [
    join(home, '.mozilla', 'firefox'),
    join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
    join(home, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox'),
  ];
}

/** The NSS databases that exist for this user: ~/.pki/nssdb (Chromium and others) and Firefox profiles. */
export async function findNssDbs(platform: PlatformInfo, env: NodeJS.ProcessEnv): Promise<NssDb[]> {
  const dbs: NssDb[] = [];
  if (platform.os !== 'win32' && platform.os !== 'darwin') {
    const shared = await dbIn(join(platform.home, '.pki', 'nssdb'), 'nssdb');
    if (shared) dbs.push(shared);
  }
  for (const root of firefoxRoots(platform, env)) {
    let names: string[];
    try {
      names = (await readdir(root, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const db = await dbIn(join(root, name), 'firefox');
      if (db) dbs.push(db);
    }
  }
  return dbs;
}

/** certutil from PATH, or from Homebrew's keg-only nss on macOS. */
export async function findCertutil(platform: PlatformInfo, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const onPath = await which('certutil', env);
  // Windows ships an unrelated certutil.exe; NSS's is not on PATH there.
  if (onPath && platform.os !== 'win32') return onPath;
  if (platform.os === 'darwin') {
    for (const candidate of ['/opt/homebrew/opt/nss/bin/certutil', '/usr/local/opt/nss/bin/certutil'])
      if (await exists(candidate)) return candidate;
  }
  return undefined;
}

export async function nssApplicability(ctx: Pick<TrustContext, 'platform' | 'env'>): Promise<Applicability> {
  if (ctx.platform.os === 'win32')
    return { applies: false, reason: 'Firefox on Windows uses the Windows store (enable security.enterprise_roots.enabled)' };
  const dbs = await findNssDbs(ctx.platform, ctx.env);
  if (dbs.length === 0) return { applies: false, reason: `no NSS database (~/.pki/nssdb or a Firefox profile) under ${ctx.platform.home}` };
  return { applies: true, reason: `${dbs.length} NSS database(s)` };
}

/** The SHA-256 of the certificate under `nick` in `db` (certutil -L -a prints it as PEM), or undefined when there is none. */
async function nickFingerprint(certutil: string, db: string, nick: string): Promise<string | undefined> {
  const listed = await execa(certutil, ['-L', '-d', db, '-n', nick, '-a'], { reject: false, stdin: 'ignore' });
  if (listed.exitCode !== 0) return undefined;
  return fingerprintOf(listed.stdout) ?? '';
}

function missingCertutil(platform: PlatformInfo): { message: string; hint: string } {
  return {
    message: 'NSS databases exist, but certutil (NSS tools) is not installed',
    hint: `Install it with \`${certutilInstallHint(platform)}\`, then run \`lab trust --nss\`.`,
  };
}

export async function planNssInstall(ctx: TrustContext, recorded: TrustInstall[]): Promise<InstallPlan[]> {
  const dbs = await findNssDbs(ctx.platform, ctx.env);
  if (dbs.length === 0) return [];
  const certutil = await findCertutil(ctx.platform, ctx.env);
  if (!certutil)
    return [
      { store: 'nss', location: dbs.map((d) => d.spec).join(', '), status: 'unavailable', steps: [], ...missingCertutil(ctx.platform) },
    ];
  const { ca } = ctx;
  const plans: InstallPlan[] = [];
  for (const db of dbs) {
    const location = `${db.spec} (${ca.nick})`;
    const mine = recorded.some((e) => e.kind === 'nss' && e.db === db.spec && e.nick === ca.nick);
    const present = await nickFingerprint(certutil, db.spec, ca.nick);
    if (present === ca.fingerprint256) {
      plans.push({ store: 'nss', location, status: mine ? 'installed' : 'present', steps: [] });
      continue;
    }
    if (present !== undefined) {
      plans.push({
        store: 'nss',
        location,
        status: 'conflict',
        steps: [],
        message: `"${ca.nick}" in ${db.spec} holds another certificate`,
        hint: `Remove it with \`certutil -D -d ${db.spec} -n ${ca.nick}\` if it is stale.`,
      });
      continue;
    }
    // Trust "C,," = a CA trusted to issue server certificates (certutil -t).
    const steps: Step[] = [
      { kind: 'exec', argv: [certutil, '-A', '-d', db.spec, '-t', 'C,,', '-n', ca.nick, '-i', ca.path], privileged: false },
    ];
    const record: TrustInstall = {
      kind: 'nss',
      db: db.spec,
      nick: ca.nick,
      fingerprint256: ca.fingerprint256,
      installedAt: new Date().toISOString(),
    };
    plans.push({
      store: 'nss',
      location,
      status: 'install',
      steps,
      record,
      ...(db.kind === 'firefox' ? { message: 'restart Firefox to pick it up' } : {}),
    });
  }
  return plans;
}

export async function planNssUninstall(entry: TrustInstall, ctx: UninstallContext): Promise<UninstallPlan> {
  if (entry.kind !== 'nss') throw new Error(`not an NSS entry: ${entry.kind}`);
  const certutil = await findCertutil(ctx.platform, ctx.env);
  if (!certutil)
    return {
      entry,
      steps: [],
      notes: [`certutil is missing; cannot remove "${entry.nick}" from ${entry.db} (${certutilInstallHint(ctx.platform)})`],
    };
  const dir = entry.db.replace(/^(sql|dbm):/, '');
  if (!(await exists(dir))) return { entry, steps: [], notes: [`${entry.db} no longer exists`] };
  const present = await nickFingerprint(certutil, entry.db, entry.nick);
  if (present === undefined) return { entry, steps: [], notes: [`"${entry.nick}" is no longer in ${entry.db}`] };
  if (present !== entry.fingerprint256)
    return { entry, steps: [], notes: [`"${entry.nick}" in ${entry.db} now holds another certificate; left in place`] };
  return { entry, notes: [], steps: [{ kind: 'exec', argv: [certutil, '-D', '-d', entry.db, '-n', entry.nick], privileged: false }] };
}

/** `certutil -V -u L`: NSS itself validates the CA for the "SSL CA" usage with its trust flags. */
export async function checkNss(ctx: TrustContext): Promise<TrustCheck[]> {
  const dbs = await findNssDbs(ctx.platform, ctx.env);
  if (dbs.length === 0) return [];
  const certutil = await findCertutil(ctx.platform, ctx.env);
  if (!certutil) {
    const { message, hint } = missingCertutil(ctx.platform);
    return [
      { store: 'nss', location: dbs.map((d) => d.spec).join(', '), status: 'fail', method: 'certutil -V', detail: message, fix: hint },
    ];
  }
  const checks: TrustCheck[] = [];
  for (const db of dbs) {
    const probe = await commandProbe(
      [certutil, '-V', '-u', 'L', '-d', db.spec, '-n', ctx.ca.nick],
      `"${ctx.ca.nick}" is a valid, trusted CA in ${db.spec}`,
      ctx.env,
    );
    const ok = probe.outcome === 'verified';
    checks.push({
      store: 'nss',
      location: db.spec,
      status: ok ? 'ok' : 'fail',
      method: probe.command,
      detail: ok ? probe.detail : `${db.spec}: ${probe.detail}`,
      ...(ok ? {} : { fix: 'Run `lab trust --nss`.' }),
    });
  }
  return checks;
}
