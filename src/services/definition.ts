import type { LabModel } from '../config/model.js';
import type { ContainerSpec } from '../engine/spec.js';
import type { LabHttpsClient, LabRoute } from '../net/https.js';
import type { RenderedFile } from '../render/files.js';
import type { ExecResult } from '../util/exec-types.js';
import type { WaitStrategy } from '../util/wait.js';

/**
 * One service of the lab, defined in one place (after testcontainers' modules): its
 * container, the hosts Traefik serves for it, its configuration files, how lab knows it is
 * ready, and when it starts. Rendering, planning, readiness, status, logs, destroy and the
 * help text all iterate over the registry (registry.ts); nothing else names a service.
 */
export interface ServiceDefinition<Name extends string = string> {
  name: Name;
  /** One line for `--help` and `lab status`. */
  summary: string;
  /** Whether the lab runs this service at all (a service can be optional in lab.yml). */
  enabled(model: LabModel): boolean;
  /**
   * `stack`: created with the stack and waited for; `after-bootstrap`: started by the
   * GitLab bootstrap once it has what the service needs (the runner's token).
   */
  start: 'stack' | 'after-bootstrap';
  container(model: LabModel, stack: StackView): ContainerSpec;
  /** HTTPS routes Traefik serves for this service. */
  routes(model: LabModel): HttpRoute[];
  /** Plain TCP routes (Git over SSH) on their own entry points. */
  tcpRoutes?(model: LabModel): TcpRoute[];
  /** Configuration files the service reads, besides its compose file. */
  files?(model: LabModel, inputs: RenderInputs, stack: StackView): RenderedFile[];
  /** What must hold before the service counts as ready, checked in order. */
  readiness?(model: LabModel, probe: ReadinessProbe): WaitStrategy[];
  /** The URL `lab status` shows. */
  url?(model: LabModel): string | undefined;
}

/** What one service may know of the others: the routes they all declare (the proxy serves them). */
export interface StackView {
  routes: HttpRoute[];
  tcpRoutes: TcpRoute[];
}

/** A router of Traefik's file provider: exact hosts (and optionally one label below a host) to an upstream. */
export interface HttpRoute {
  /** The router's name, and the name of its Traefik service unless the upstream is internal. */
  name: string;
  hosts: string[];
  /** Also every single-label subdomain of this host (GitLab Pages' project sites). */
  wildcardUnder?: string;
  upstream: { alias: string; port: number } | { internal: string };
}

/** A TCP router on an entry point of its own: every connection on `port` goes to the upstream. */
export interface TcpRoute {
  name: string;
  /** The published port; Traefik listens on the same port inside the lab network. */
  port: number;
  upstream: { alias: string; port: number };
}

/** What renderers need besides the model: values that appear during the bootstrap. */
export interface RenderInputs {
  /** The runner's authentication token once the bootstrap created it; empty before. */
  runnerToken?: string | undefined;
  /** The CA certificate (PEM), once `lab certs` minted it. */
  caCert?: string | undefined;
}

/** How readiness checks reach a service: inside its container, and through the proxy. */
export interface ReadinessProbe {
  /** Runs a command in the service's running container. */
  exec(cmd: string[]): Promise<ExecResult>;
  /** The proxy's published HTTPS port, with the lab CA pinned. */
  route: LabRoute;
  https: LabHttpsClient;
}

/** Keeps the literal name type, so the registry can derive the union of service names. */
export function defineService<const Name extends string>(definition: ServiceDefinition<Name>): ServiceDefinition<Name> {
  return definition;
}

/** Compose's own naming, `<project>-<service>-1`, so `docker compose ps` recognises lab's containers. */
export function containerName(model: Pick<LabModel, 'name'>, service: string): string {
  return `${model.name}-${service}-1`;
}
