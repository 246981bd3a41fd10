import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Where everything of one lab lives, relative to its folder (`--dir`). */
export interface LabPaths {
  dir: string;
  configFile: string;
  /** The CA folder (mkcert's CAROOT layout): rootCA.pem and rootCA-key.pem. */
  caroot: string;
  caCert: string;
  caKey: string;
  /** The only certificate folder ever mounted into containers. */
  tlsDir: string;
  leafCert: string;
  leafKey: string;
  tlsCa: string;
  composeDir: string;
  composeFiles: { traefik: string; gitlab: string; runner: string };
  traefikDir: string;
  traefikStatic: string;
  traefikDynamicDir: string;
  traefikDynamic: string;
  /** lab's private state: never committed, never mounted except `runner/`. */
  stateDir: string;
  secretsDir: string;
  runnerDir: string;
  runnerConfig: string;
}

export const CONFIG_FILE = 'lab.yml';

export function labPaths(dir: string, caroot?: string): LabPaths {
  const root = resolve(dir);
  const ca = caroot === undefined ? join(root, 'certs', 'ca') : isAbsolute(caroot) ? caroot : resolve(root, caroot);
  const composeDir = join(root, 'compose');
  const traefikDir = join(composeDir, 'traefik');
  const stateDir = join(root, '.lab');
  return {
    dir: root,
    configFile: join(root, CONFIG_FILE),
    caroot: ca,
    caCert: join(ca, 'rootCA.pem'),
    caKey: join(ca, 'rootCA-key.pem'),
    tlsDir: join(root, 'certs', 'tls'),
    leafCert: join(root, 'certs', 'tls', 'lab.pem'),
    leafKey: join(root, 'certs', 'tls', 'lab-key.pem'),
    tlsCa: join(root, 'certs', 'tls', 'ca.pem'),
    composeDir,
    composeFiles: {
      traefik: join(composeDir, 'traefik.yml'),
      gitlab: join(composeDir, 'gitlab.yml'),
      runner: join(composeDir, 'runner.yml'),
    },
    traefikDir,
    traefikStatic: join(traefikDir, 'traefik.yml'),
    traefikDynamicDir: join(traefikDir, 'dynamic'),
    traefikDynamic: join(traefikDir, 'dynamic', 'lab.yml'),
    stateDir,
    secretsDir: join(stateDir, 'secrets'),
    runnerDir: join(stateDir, 'runner'),
    runnerConfig: join(stateDir, 'runner', 'config.toml'),
  };
}

/** A path as messages show it: relative to the working directory when it lies below it, else as given. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? path : rel;
}
