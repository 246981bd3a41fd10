import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import type Dockerode from 'dockerode';
import { errnoCode, errorMessage, LabError } from '../util/errors.js';
import { type EngineEndpoint, resolveEndpoint, socketPathOf } from './endpoint.js';
import { firstLine, statusOf } from './errors.js';

/** A connected engine: the dockerode client and where it points. */
export interface Engine {
  docker: Dockerode;
  endpoint: EngineEndpoint;
}

export interface ConnectOptions {
  /** How long the reachability check may take; the issue asks for an answer within 2 s. */
  timeoutMs?: number;
  /** Use this endpoint instead of resolving one from the environment. */
  endpoint?: EngineEndpoint;
}

/** docker-modem honours `agent` although @types/dockerode does not list it. */
type ModemOptions = Dockerode.DockerOptions & { agent?: HttpsAgent };

/**
 * Builds dockerode options for an endpoint. Every connection key is set explicitly,
 * because docker-modem otherwise merges in whatever DOCKER_HOST says.
 */
export async function dockerOptions(endpoint: EngineEndpoint, env: NodeJS.ProcessEnv = process.env): Promise<ModemOptions> {
  const blank: ModemOptions = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  const socketPath = socketPathOf(endpoint);
  if (socketPath !== undefined) return { ...blank, socketPath };
  const url = new URL(endpoint.address);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (endpoint.kind === 'ssh') {
    return {
      ...blank,
      protocol: 'ssh',
      host: hostname,
      port: url.port || '22',
      username: decodeURIComponent(url.username) || undefined,
      // The ssh transport runs `docker system dial-stdio` on the remote host; keys come from the agent.
      sshOptions: { agent: env.SSH_AUTH_SOCK },
    };
  }
  const tls = endpoint.tls;
  const port = url.port || (tls ? '2376' : '2375');
  if (!tls) return { ...blank, protocol: 'http', host: hostname, port };
  const read = async (file: string | undefined, what: string) => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (err) {
      throw new LabError(`cannot read the engine's TLS ${what} ${file}: ${errnoCode(err) ?? errorMessage(err)}`, {
        hint: 'Check DOCKER_CERT_PATH (it needs ca.pem, cert.pem and key.pem) or the TLS material of your Docker context.',
      });
    }
  };
  const [ca, cert, key] = await Promise.all([read(tls.ca, 'CA'), read(tls.cert, 'certificate'), read(tls.key, 'key')]);
  const options: ModemOptions = { ...blank, protocol: 'https', host: hostname, port, ca, cert, key };
  if (!tls.verify)
    options.agent = new HttpsAgent({
      rejectUnauthorized: false,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
    });
  return options;
}

/**
 * Connects and proves the engine answers (`GET /_ping`) within `timeoutMs`. Any failure
 * becomes one line naming the endpoint, with a hint; never a hang.
 */
export async function connectEngine(env: NodeJS.ProcessEnv = process.env, options: ConnectOptions = {}): Promise<Engine> {
  const endpoint = options.endpoint ?? (await resolveEndpoint(env));
  const timeoutMs = options.timeoutMs ?? 2000;
  const { default: Docker } = await import('dockerode');
  let docker: Dockerode;
  try {
    docker = new Docker(await dockerOptions(endpoint, env));
  } catch (err) {
    if (err instanceof LabError) throw err;
    throw new LabError(`cannot set up a client for the engine at ${endpoint.address}: ${errorMessage(err)}`, { hint: hintFor(endpoint) });
  }
  try {
    // docker-modem forwards abortSignal to the request; @types/dockerode does not list it.
    const ping = docker.ping.bind(docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw unreachable(endpoint, err, timeoutMs);
  }
  return { docker, endpoint };
}

function where(endpoint: EngineEndpoint): string {
  return endpoint.context ? `${endpoint.address} (context "${endpoint.context}")` : endpoint.address;
}

function hintFor(endpoint: EngineEndpoint): string {
  if (endpoint.local && endpoint.kind !== 'tcp') {
    return 'Start Docker (`sudo systemctl start docker`, Docker Desktop, Colima or OrbStack), or point DOCKER_HOST or `docker context use` at a running engine.';
  }
  return 'Check that the engine host is up and reachable, or point DOCKER_HOST or `docker context use` at a running engine.';
}

/** Maps a failed ping to the one-line cause the user sees. */
export function unreachable(endpoint: EngineEndpoint, err: unknown, timeoutMs: number): LabError {
  const code = errnoCode(err);
  const at = where(endpoint);
  const name = err instanceof Error ? err.name : '';
  const hint = hintFor(endpoint);
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'ABORT_ERR' || code === 'ETIMEDOUT') {
    return new LabError(`the Docker engine at ${at} did not answer within ${(timeoutMs / 1000).toFixed(0)} s`, { hint, cause: err });
  }
  if (code === 'ENOENT') return new LabError(`no Docker engine at ${at}: the socket does not exist`, { hint, cause: err });
  if (code === 'ECONNREFUSED') return new LabError(`no Docker engine at ${at}: connection refused`, { hint, cause: err });
  if (code === 'EACCES' || code === 'EPERM') {
    return new LabError(`permission denied on the Docker socket ${at}`, {
      hint: 'Add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again), or use rootless Docker.',
      cause: err,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new LabError(`the engine host in ${at} does not resolve`, { hint, cause: err });
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return new LabError(`the engine host in ${at} is unreachable`, { hint, cause: err });
  if (
    code?.startsWith('ERR_TLS') ||
    code?.startsWith('CERT_') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
  ) {
    return new LabError(`the TLS handshake with the engine at ${at} failed: ${code}`, {
      hint: 'Check DOCKER_CERT_PATH / DOCKER_TLS_VERIFY, or the TLS material of your Docker context.',
      cause: err,
    });
  }
  const status = statusOf(err);
  if (status !== undefined) {
    return new LabError(`something answers at ${at}, but not like a Docker engine (HTTP ${status} on /_ping)`, { hint, cause: err });
  }
  return new LabError(`cannot reach the Docker engine at ${at}: ${firstLine(errorMessage(err))}`, { hint, cause: err });
}
