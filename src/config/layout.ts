import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * The one definition of a lab folder's layout: every file and folder lab reads or writes,
 * relative to the lab folder (POSIX separators). Compose files bind these relative paths;
 * everything else uses the absolute paths from `labPaths`.
 */
export const LAB_LAYOUT = {
  configFile: 'lab.yml',
  /** The CA folder (mkcert's CAROOT layout); may live elsewhere (`certs.caroot`, --caroot). Never mounted. */
  caroot: 'certs/ca',
  /** The only certificate folder ever mounted into containers. */
  tlsDir: 'certs/tls',
  leafCert: 'certs/tls/lab.pem',
  leafKey: 'certs/tls/lab-key.pem',
  tlsCa: 'certs/tls/ca.pem',
  composeDir: 'compose',
  traefikDir: 'compose/traefik',
  traefikStatic: 'compose/traefik/traefik.yml',
  traefikDynamicDir: 'compose/traefik/dynamic',
  traefikDynamic: 'compose/traefik/dynamic/lab.yml',
  /** lab's private state: never committed, never mounted except `runner/`. */
  stateDir: '.lab',
  stateFile: '.lab/state.json',
  lockFile: '.lab/lock',
  /** Secrets: folder 0700, files 0600; the only place a secret lives on the host. */
  secretsDir: '.lab/secrets',
  /** `GITLAB_ROOT_PASSWORD=<pw>`; also read by compose through `env_file`. */
  gitlabEnv: '.lab/secrets/gitlab.env',
  /** lab's admin personal access token and its state. */
  adminToken: '.lab/secrets/admin-token.json',
  /** The runner lab registered: `{"id": <n>, "token": "glrt-…", …}`. */
  runnerRecord: '.lab/secrets/runner.json',
  /** The client certificate jobs use to reach a remote build engine (key 0600), when lab mints it. */
  builderClientDir: '.lab/secrets/builder-client',
  /** Server certificates `lab certs --builder <name>` mints for build engines, one folder each. */
  buildersDir: 'certs/builders',
  runnerDir: '.lab/runner',
  runnerConfig: '.lab/runner/config.toml',
  /** The dind service's daemon.json (`runner.docker: dind`). */
  dindDaemonConfig: '.lab/runner/dind-daemon.json',
  /** A certs.d tree for jobs' Docker clients: `<registry>[:port]/ca.crt`. */
  jobCertsDir: '.lab/runner/certs.d',
} as const;

export type LabFile = keyof typeof LAB_LAYOUT;

/** Every path of `LAB_LAYOUT`, absolute, plus the CA files inside `caroot`. */
export type LabPaths = { readonly [K in LabFile]: string } & {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
};

export const CONFIG_FILE = LAB_LAYOUT.configFile;

/** A lab-relative layout path as an absolute one. */
export function labPath(dir: string, rel: string): string {
  return join(resolve(dir), ...rel.split('/'));
}

export function labPaths(dir: string, caroot?: string): LabPaths {
  const root = resolve(dir);
  const absolute = Object.fromEntries(Object.entries(LAB_LAYOUT).map(([key, rel]) => [key, labPath(root, rel)])) as Record<LabFile, string>;
  const ca = caroot === undefined ? absolute.caroot : isAbsolute(caroot) ? caroot : resolve(root, caroot);
  return { ...absolute, dir: root, caroot: ca, caCert: join(ca, 'rootCA.pem'), caKey: join(ca, 'rootCA-key.pem') };
}

/** A path as messages show it: relative to the working directory when it lies below it, else as given. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? path : rel;
}
