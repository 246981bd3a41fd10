/**
 * A desired container, independent of how it is realised. The compose renderer turns these
 * into compose files; the engine turns the very same specs into Docker API calls. One
 * source, so the artifacts and the running stack cannot drift.
 */

/** A path in the lab folder (relative, POSIX separators) or an absolute path on the engine host. */
export type HostPath = { kind: 'lab'; path: string } | { kind: 'host'; path: string };

export type Mount =
  | { type: 'bind'; source: HostPath; target: string; readOnly: boolean }
  | { type: 'volume'; source: string; target: string; readOnly: boolean };

export interface PortMapping {
  host: number;
  container: number;
}

export interface Healthcheck {
  test: string[];
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

export interface ContainerSpec {
  /** The compose service name (`traefik`, `gitlab`, …): the container's role in its stack. */
  service: string;
  /** Compose's own naming, `<project>-<service>-1`, so `docker compose ps` recognises it. */
  containerName: string;
  image: string;
  hostname: string;
  /** Non-secret environment. */
  environment: Record<string, string>;
  /**
   * Env files (lab-relative) holding secrets such as the root password. Compose reads
   * them through `env_file`; the engine reads them at create time. Missing is allowed.
   */
  envFiles: string[];
  mounts: Mount[];
  ports: PortMapping[];
  network: { name: string; ipv4Address?: string; aliases: string[] };
  extraHosts: { host: string; ip: string }[];
  restart: 'unless-stopped';
  healthcheck?: Healthcheck;
  shmSizeBytes?: number;
  /** How long `stop` waits for a clean shutdown before SIGKILL (Docker's default is 10 s). */
  stopGracePeriodSeconds?: number;
  privileged: boolean;
  /**
   * Lab-relative files the service reads only when it starts (static config, certificates
   * behind single-file binds). Their content is part of the config hash, so a change
   * recreates the container; files the service watches itself are not listed.
   */
  restartOn: string[];
}
