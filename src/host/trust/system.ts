import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { readOptional } from '../../util/fs.js';
import type { LinuxFamily } from '../platform.js';
import type { Step } from '../privilege.js';
import { copyInSteps, copyOutSteps } from './fsplan.js';
import { bundleCertificates, isSameCertificate } from './lab-ca.js';
import { commandProbe, opensslVerify, type ProbeResult } from './probe.js';
import type { TrustInstall } from './record.js';
import type { Applicability, InstallPlan, TrustCheck, TrustContext, UninstallContext, UninstallPlan } from './types.js';
import { labHttpsTarget, offlineSubject, verifyHttps } from './verify.js';

/** Where each Linux family keeps local anchors and how it rebuilds its bundle (mkcert's table). */
export interface AnchorLayout {
  dir: string;
  ext: '.crt' | '.pem';
  refresh: string[];
  /** The bundle the refresh writes, which the check verifies against. */
  bundle: string;
}

export const ANCHOR_LAYOUTS: Record<LinuxFamily, AnchorLayout> = {
  // update-ca-certificates(8): only *.crt files below /usr/local/share/ca-certificates count.
  debian: {
    dir: '/usr/local/share/ca-certificates',
    ext: '.crt',
    refresh: ['update-ca-certificates'],
    bundle: '/etc/ssl/certs/ca-certificates.crt',
  },
  // update-ca-trust(8)
  fedora: {
    dir: '/etc/pki/ca-trust/source/anchors',
    ext: '.pem',
    refresh: ['update-ca-trust', 'extract'],
    bundle: '/etc/pki/tls/certs/ca-bundle.crt',
  },
  // https://wiki.archlinux.org/title/Transport_Layer_Security#Add_a_certificate_to_a_trust_store
  arch: {
    dir: '/etc/ca-certificates/trust-source/anchors',
    ext: '.crt',
    refresh: ['trust', 'extract-compat'],
    bundle: '/etc/ssl/certs/ca-certificates.crt',
  },
  suse: { dir: '/usr/share/pki/trust/anchors', ext: '.pem', refresh: ['update-ca-certificates'], bundle: '/etc/ssl/ca-bundle.pem' },
};

const KEYCHAIN = '/Library/Keychains/System.keychain';
const DEBIAN_HOOKS = '/etc/ca-certificates/update.d';

export function systemApplicability(ctx: Pick<TrustContext, 'platform'>): Applicability {
  const { os, family, distro } = ctx.platform;
  if (os === 'darwin' || os === 'win32')
    return { applies: true, reason: os === 'darwin' ? 'the System keychain' : "the user's Root store" };
  if (os === 'linux' && family) return { applies: true, reason: `${distro ?? family}: ${ANCHOR_LAYOUTS[family].dir}` };
  return {
    applies: false,
    reason: `lab does not know the system trust store of ${distro ?? os}`,
    hint: "Install the CA (rootCA.pem) with your distribution's tool; lab knows Debian/Ubuntu, Fedora/RHEL, Arch and SUSE.",
  };
}

async function bundleHas(bundle: string, der: Buffer): Promise<boolean> {
  const text = await readOptional(bundle);
  return text !== undefined && bundleCertificates(text.toString('utf8')).some((c) => c.equals(der));
}

export async function planSystemInstall(ctx: TrustContext, recorded: TrustInstall[]): Promise<InstallPlan[]> {
  const { ca, platform } = ctx;
  const now = new Date().toISOString();
  const base = { fingerprint256: ca.fingerprint256, nick: ca.nick, installedAt: now };
  if (platform.os === 'darwin') {
    const location = `${KEYCHAIN} (${ca.nick})`;
    const record: TrustInstall = { ...base, kind: 'system-keychain', keychain: KEYCHAIN, sha1: ca.sha1 };
    const mine = recorded.some((e) => e.kind === 'system-keychain' && e.sha1 === ca.sha1);
    const listed = await execa('security', ['find-certificate', '-a', '-Z', KEYCHAIN], { reject: false, stdin: 'ignore' });
    if (listed.exitCode === 0 && listed.stdout.includes(ca.sha1))
      return [{ store: 'system', location, status: mine ? 'installed' : 'present', steps: [] }];
    // `security add-trusted-cert` sets the trust settings that make it a root for TLS.
    const steps: Step[] = [
      { kind: 'exec', argv: ['security', 'add-trusted-cert', '-d', '-r', 'trustRoot', '-k', KEYCHAIN, ca.path], privileged: true },
    ];
    return [{ store: 'system', location, status: 'install', steps, record }];
  }
  if (platform.os === 'win32') {
    const location = `CurrentUser\\Root (${ca.nick})`;
    const record: TrustInstall = { ...base, kind: 'system-windows', sha1: ca.sha1 };
    const mine = recorded.some((e) => e.kind === 'system-windows' && e.sha1 === ca.sha1);
    const listed = await execa('certutil', ['-user', '-verifystore', 'Root', ca.sha1], { reject: false, stdin: 'ignore' });
    if (listed.exitCode === 0) return [{ store: 'system', location, status: mine ? 'installed' : 'present', steps: [] }];
    // Windows asks the user to confirm a new root in their store.
    const steps: Step[] = [{ kind: 'exec', argv: ['certutil', '-addstore', '-user', 'Root', ca.path], privileged: false }];
    return [{ store: 'system', location, status: 'install', steps, record }];
  }
  const family = platform.family;
  if (!family) return [];
  const layout = ANCHOR_LAYOUTS[family];
  const file = join(layout.dir, `${ca.nick}${layout.ext}`);
  const mine = recorded.find((e) => e.kind === 'system-anchor' && e.file === file);
  const current = await readOptional(file);
  const same = isSameCertificate(current, ca.der);
  const inBundle = await bundleHas(layout.bundle, ca.der);
  if (same && inBundle) {
    return [
      {
        store: 'system',
        location: file,
        status: mine ? 'installed' : 'present',
        steps: [],
        ...(mine ? {} : { message: 'the CA is already in the system store, but lab did not install it; --uninstall will leave it' }),
      },
    ];
  }
  if (inBundle && current === undefined && !mine) {
    // Trusted already through another file (mkcert, an admin): a second copy would
    // only be something else to clean up.
    return [
      {
        store: 'system',
        location: layout.bundle,
        status: 'present',
        steps: [],
        message: 'the CA is already in the system bundle through another file; lab leaves it alone',
      },
    ];
  }
  if (current !== undefined && !same && !mine) {
    return [
      {
        store: 'system',
        location: file,
        status: 'conflict',
        steps: [],
        message: `${file} exists and holds another certificate`,
        hint: 'Move it away yourself if it is stale, then run lab trust again.',
      },
    ];
  }
  const { steps, createdDirs } = await copyInSteps(ca.path, file, !same);
  steps.push({ kind: 'exec', argv: layout.refresh, privileged: true });
  const record: TrustInstall = {
    ...base,
    kind: 'system-anchor',
    family,
    file,
    createdDirs: [...(mine?.kind === 'system-anchor' ? mine.createdDirs : []), ...createdDirs],
  };
  return [{ store: 'system', location: file, status: 'install', steps, record }];
}

/** Debian's hooks (ca-certificates-java) learn about removals only from '-' lines on stdin. */
async function debianHooks(): Promise<string[]> {
  try {
    const names = (await readdir(DEBIAN_HOOKS)).filter((n) => /^[A-Za-z0-9_-]+$/.test(n)).sort();
    const hooks: string[] = [];
    for (const name of names) {
      const path = join(DEBIAN_HOOKS, name);
      const info = await stat(path);
      if (info.isFile() && (info.mode & 0o111) !== 0) hooks.push(path);
    }
    return hooks;
  } catch {
    return [];
  }
}

export async function planSystemUninstall(entry: TrustInstall, _ctx: UninstallContext): Promise<UninstallPlan> {
  if (entry.kind === 'system-keychain') {
    // -t also drops the trust settings add-trusted-cert created.
    return {
      entry,
      notes: [],
      steps: [{ kind: 'exec', argv: ['security', 'delete-certificate', '-Z', entry.sha1, '-t', entry.keychain], privileged: true }],
    };
  }
  if (entry.kind === 'system-windows') {
    return { entry, notes: [], steps: [{ kind: 'exec', argv: ['certutil', '-delstore', '-user', 'Root', entry.sha1], privileged: false }] };
  }
  if (entry.kind !== 'system-anchor') throw new Error(`not a system entry: ${entry.kind}`);
  const layout = ANCHOR_LAYOUTS[entry.family];
  const { steps, notes } = await copyOutSteps(entry.file, entry.fingerprint256, entry.createdDirs);
  if (entry.family === 'debian') {
    // A plain run keeps the links of a removed local certificate (it only counts
    // additions and '!' lines); --fresh rebuilds /etc/ssl/certs from what is there.
    steps.push({ kind: 'exec', argv: ['update-ca-certificates', '--fresh'], privileged: true });
    const pem = `/etc/ssl/certs/${entry.nick}.pem`;
    for (const hook of await debianHooks()) steps.push({ kind: 'exec', argv: [hook], input: `-${pem}\n`, privileged: true });
  } else {
    steps.push({ kind: 'exec', argv: layout.refresh, privileged: true });
  }
  return { entry, notes, steps };
}

/**
 * A TLS handshake with the running lab through the system trust (curl without
 * --cacert); when the lab is down, the lab certificate is verified offline against
 * the store: the bundle on Linux, the keychain on macOS, the Root store on Windows.
 */
export async function checkSystem(ctx: TrustContext): Promise<TrustCheck[]> {
  const { platform, ca, env } = ctx;
  const target = await labHttpsTarget(ctx, ctx.model.hosts.gitlab, '/');
  const subject = await offlineSubject(ctx);
  let location: string;
  let fallback: (() => Promise<ProbeResult>) | undefined;
  if (platform.os === 'darwin') {
    location = KEYCHAIN;
    const argv = ['security', 'verify-cert', '-c', subject.cert, ...(subject.host ? ['-p', 'ssl', '-s', subject.host] : [])];
    fallback = () => commandProbe(argv, `${subject.cert} is trusted by the keychain`, env);
  } else if (platform.os === 'win32') {
    location = 'CurrentUser\\Root';
    fallback = () => commandProbe(['certutil', '-user', '-verifystore', 'Root', ca.sha1], `the CA is in CurrentUser\\Root`, env);
  } else if (platform.family) {
    const layout = ANCHOR_LAYOUTS[platform.family];
    location = layout.bundle;
    fallback = () => opensslVerify(layout.bundle, subject.cert, subject.host, env);
  } else {
    location = 'system trust';
    fallback = undefined;
  }
  return [await verifyHttps(ctx, 'system', target, { location, caFile: undefined, fallback, fix: 'Run `lab trust --system`.' })];
}
