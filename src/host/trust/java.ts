import { constants } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { exists } from '../platform.js';
import type { Step } from '../privilege.js';
import { hexFingerprint } from './lab-ca.js';
import type { TrustInstall } from './record.js';
import type { Applicability, InstallPlan, TrustCheck, TrustContext, UninstallContext, UninstallPlan } from './types.js';

/** The JDK's documented default; cacerts is an integrity-protected, not a secret store. */
const STOREPASS = 'changeit';

export interface JavaStore {
  keytool: string;
  keystore: string;
}

/** `$JAVA_HOME/bin/keytool` and the cacerts it should change (JDK 9+ layout first, then JRE 8). */
export async function findJavaStore(env: NodeJS.ProcessEnv, os: NodeJS.Platform): Promise<JavaStore | undefined> {
  const home = env.JAVA_HOME;
  if (!home) return undefined;
  const keytool = join(home, 'bin', os === 'win32' ? 'keytool.exe' : 'keytool');
  if (!(await exists(keytool))) return undefined;
  for (const keystore of [join(home, 'lib', 'security', 'cacerts'), join(home, 'jre', 'lib', 'security', 'cacerts')]) {
    if (await exists(keystore)) return { keytool, keystore };
  }
  return undefined;
}

export async function javaApplicability(ctx: Pick<TrustContext, 'env' | 'platform'>): Promise<Applicability> {
  if (!ctx.env.JAVA_HOME)
    return {
      applies: false,
      reason: 'JAVA_HOME is not set',
      hint: 'Set JAVA_HOME to the JDK that should trust the lab, then run `lab trust --java`.',
    };
  const store = await findJavaStore(ctx.env, ctx.platform.os);
  if (!store)
    return {
      applies: false,
      reason: `no keytool and cacerts under JAVA_HOME=${ctx.env.JAVA_HOME}`,
      hint: 'Point JAVA_HOME at a JDK or JRE folder.',
    };
  return { applies: true, reason: store.keystore };
}

/** The SHA-256 of the alias in the keystore, or undefined when there is no such alias. */
export async function javaAliasFingerprint(store: JavaStore, alias: string): Promise<string | undefined> {
  const r = await execa(store.keytool, ['-list', '-keystore', store.keystore, '-storepass', STOREPASS, '-alias', alias], {
    reject: false,
    stdin: 'ignore',
  });
  if (r.exitCode !== 0) return undefined;
  const m = /SHA-?256\)?:\s*([0-9A-F:]+)/i.exec(r.stdout);
  return m?.[1] ? hexFingerprint(m[1]) : '';
}

export async function planJavaInstall(ctx: TrustContext, recorded: TrustInstall[]): Promise<InstallPlan[]> {
  const store = await findJavaStore(ctx.env, ctx.platform.os);
  if (!store) return [];
  const { ca } = ctx;
  const location = `${store.keystore} (${ca.nick})`;
  const mine = recorded.some((e) => e.kind === 'java' && e.keystore === store.keystore && e.nick === ca.nick);
  const present = await javaAliasFingerprint(store, ca.nick);
  if (present === ca.fingerprint256) return [{ store: 'java', location, status: mine ? 'installed' : 'present', steps: [] }];
  if (present !== undefined) {
    return [
      {
        store: 'java',
        location,
        status: 'conflict',
        steps: [],
        message: `alias "${ca.nick}" in ${store.keystore} holds another certificate`,
        hint: `Remove it with \`keytool -delete -alias ${ca.nick} -keystore ${store.keystore}\` if it is stale.`,
      },
    ];
  }
  const privileged = !(await exists(store.keystore, constants.W_OK));
  const steps: Step[] = [
    {
      kind: 'exec',
      argv: [
        store.keytool,
        '-importcert',
        '-noprompt',
        '-keystore',
        store.keystore,
        '-storepass',
        STOREPASS,
        '-alias',
        ca.nick,
        '-file',
        ca.path,
      ],
      privileged,
    },
  ];
  const record: TrustInstall = {
    kind: 'java',
    keytool: store.keytool,
    keystore: store.keystore,
    nick: ca.nick,
    fingerprint256: ca.fingerprint256,
    installedAt: new Date().toISOString(),
  };
  return [{ store: 'java', location, status: 'install', steps, record }];
}

export async function planJavaUninstall(entry: TrustInstall, _ctx: UninstallContext): Promise<UninstallPlan> {
  if (entry.kind !== 'java') throw new Error(`not a Java entry: ${entry.kind}`);
  const store = { keytool: entry.keytool, keystore: entry.keystore };
  if (!(await exists(store.keytool)) || !(await exists(store.keystore)))
    return { entry, steps: [], notes: [`${entry.keystore} or its keytool is gone; nothing to remove`] };
  const present = await javaAliasFingerprint(store, entry.nick);
  if (present === undefined) return { entry, steps: [], notes: [`alias "${entry.nick}" is no longer in ${entry.keystore}`] };
  if (present !== entry.fingerprint256)
    return { entry, steps: [], notes: [`alias "${entry.nick}" in ${entry.keystore} now holds another certificate; left in place`] };
  const privileged = !(await exists(entry.keystore, constants.W_OK));
  return {
    entry,
    notes: [],
    steps: [
      {
        kind: 'exec',
        argv: [entry.keytool, '-delete', '-noprompt', '-keystore', entry.keystore, '-storepass', STOREPASS, '-alias', entry.nick],
        privileged,
      },
    ],
  };
}

/** keytool lists the alias and its SHA-256 matches the lab CA. */
export async function checkJava(ctx: TrustContext): Promise<TrustCheck[]> {
  const store = await findJavaStore(ctx.env, ctx.platform.os);
  if (!store) return [];
  const present = await javaAliasFingerprint(store, ctx.ca.nick);
  const method = `keytool -list -keystore ${store.keystore} -alias ${ctx.ca.nick}`;
  if (present === ctx.ca.fingerprint256)
    return [
      {
        store: 'java',
        location: store.keystore,
        status: 'ok',
        method,
        detail: `"${ctx.ca.nick}" is a trusted entry with the lab CA's SHA-256`,
      },
    ];
  const detail =
    present === undefined ? `no alias "${ctx.ca.nick}" in ${store.keystore}` : `alias "${ctx.ca.nick}" holds another certificate`;
  return [{ store: 'java', location: store.keystore, status: 'fail', method, detail, fix: 'Run `lab trust --java`.' }];
}
