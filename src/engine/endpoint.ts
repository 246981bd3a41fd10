// Signatures only, until issue #4's implementation replaces this file.

/** Where the Docker engine is, resolved from DOCKER_HOST or the current Docker context. */
export interface EngineEndpoint {
  kind: 'unix' | 'npipe' | 'tcp' | 'ssh';
  /** The endpoint as the user would write it, e.g. `unix:///var/run/docker.sock`. */
  address: string;
  /**
   * The host where published ports appear: 127.0.0.1 for a local engine, the remote
   * host's name for tcp/ssh endpoints.
   */
  publishedHost: string;
  /** The engine runs on this machine (its bridge networks are reachable directly on Linux). */
  local: boolean;
  /** The Docker context it came from, if any. */
  context: string | undefined;
}

export async function resolveEndpoint(_env: NodeJS.ProcessEnv = process.env): Promise<EngineEndpoint> {
  return { kind: 'unix', address: 'unix:///var/run/docker.sock', publishedHost: '127.0.0.1', local: true, context: undefined };
}
