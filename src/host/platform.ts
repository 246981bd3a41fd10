import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The Linux families whose trust-store layout lab knows (mkcert's coverage). */
export type LinuxFamily = 'debian' | 'fedora' | 'arch' | 'suse';

export interface PlatformInfo {
  os: NodeJS.Platform;
  /** Only on Linux, and only for a known family. */
  family: LinuxFamily | undefined;
  /** PRETTY_NAME from os-release, for messages. */
  distro: string | undefined;
  /** Root (or, on Windows, whatever the user is: there is no sudo to reach for). */
  isRoot: boolean;
  home: string;
}

/** Parses os-release(5): KEY=value lines, values optionally quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    let value = m[2];
    const q = value[0];
    if ((q === '"' || q === "'") && value.endsWith(q) && value.length >= 2) {
      value = value.slice(1, -1);
      if (q === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    out[m[1]] = value;
  }
  return out;
}

const FAMILY_IDS: [LinuxFamily, RegExp][] = [
  ['debian', /^(debian|ubuntu|linuxmint|pop|raspbian|kali|elementary|neon|devuan)$/],
  ['fedora', /^(fedora|rhel|centos|rocky|almalinux|ol|amzn|nobara)$/],
  ['arch', /^(arch|archlinux|manjaro|endeavouros|garuda|artix)$/],
  ['suse', /^(suse|opensuse|opensuse-.*|sles|sled|sle-micro)$/],
];

/** The family from ID first, then from each ID_LIKE entry in order. */
export function linuxFamily(release: Record<string, string>): LinuxFamily | undefined {
  const ids = [release.ID ?? '', ...(release.ID_LIKE ?? '').split(/\s+/)].map((s) => s.toLowerCase()).filter(Boolean);
  for (const id of ids) {
    for (const [family, re] of FAMILY_IDS) if (re.test(id)) return family;
  }
  return undefined;
}

export function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || homedir();
}

export function isRootUser(): boolean {
  if (process.platform === 'win32') return true;
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export async function detectPlatform(env: NodeJS.ProcessEnv = process.env): Promise<PlatformInfo> {
  const os = process.platform;
  let family: LinuxFamily | undefined;
  let distro: string | undefined;
  if (os === 'linux') {
    // https://www.freedesktop.org/software/systemd/man/latest/os-release.html
    for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
      try {
        const release = parseOsRelease(await readFile(file, 'utf8'));
        family = linuxFamily(release);
        distro = release.PRETTY_NAME ?? release.NAME;
        break;
      } catch {
        // try the next location
      }
    }
  }
  return { os, family, distro, isRoot: isRootUser(), home: homeOf(env) };
}

/** The absolute path of an executable on PATH, like `command -v`. */
export async function which(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = join(dir, command + ext);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Whether `path` exists (or, with a `mode` such as W_OK, whether this process may use it that way). */
export async function exists(path: string, mode: number = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** How to get NSS's certutil on this platform. */
export function certutilInstallHint(platform: Pick<PlatformInfo, 'os' | 'family'>): string {
  if (platform.os === 'darwin') return 'brew install nss';
  switch (platform.family) {
    case 'debian':
      return 'sudo apt install libnss3-tools';
    case 'fedora':
      return 'sudo dnf install nss-tools';
    case 'arch':
      return 'sudo pacman -S nss';
    case 'suse':
      return 'sudo zypper install mozilla-nss-tools';
    default:
      return "install your distribution's NSS tools package (it provides certutil)";
  }
}
