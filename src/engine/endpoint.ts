import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errnoCode, LabError } from '../util/errors.js';

/** TLS material for a tcp endpoint: file paths, read when the client connects. */
export interface EngineTls {
  /** Verify the engine's certificate (DOCKER_TLS_VERIFY, or a context without SkipTLSVerify). */
  verify: boolean;
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
}

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
  /** Present for tcp endpoints that speak TLS. */
  tls?: EngineTls | undefined;
}

const DEFAULT_UNIX = 'unix:///var/run/docker.sock';
const DEFAULT_NPIPE = 'npipe:////./pipe/docker_engine';

/** `$DOCKER_CONFIG`, else `~/.docker` (the CLI's own rule). */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  if (env.DOCKER_CONFIG) return env.DOCKER_CONFIG;
  return join(env.HOME || env.USERPROFILE || homedir(), '.docker');
}

/** The context store names folders by the SHA-256 of the context name. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

/**
 * Resolves the engine the way the docker CLI does (cli/command/cli.go, resolveContextName):
 * DOCKER_HOST wins, then DOCKER_CONTEXT, then `currentContext` in config.json, then the
 * default socket. dockerode itself reads only DOCKER_HOST, so contexts are resolved here.
 * https://docs.docker.com/engine/manage-resources/contexts/
 */
export async function resolveEndpoint(env: NodeJS.ProcessEnv = process.env): Promise<EngineEndpoint> {
  const host = env.DOCKER_HOST?.trim();
  if (host) return fromHost(host, undefined, tlsFromEnv(env), 'DOCKER_HOST');

  const configDir = dockerConfigDir(env);
  const fromEnv = env.DOCKER_CONTEXT?.trim();
  const name = fromEnv || (await currentContext(configDir));
  if (!name || name === 'default')
    return fromHost(process.platform === 'win32' ? DEFAULT_NPIPE : DEFAULT_UNIX, undefined, undefined, 'the default endpoint');
  return fromContext(configDir, name, fromEnv ? 'DOCKER_CONTEXT' : `currentContext in ${join(configDir, 'config.json')}`);
}

async function currentContext(configDir: string): Promise<string | undefined> {
  const file = join(configDir, 'config.json');
  const text = await readQuiet(file);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LabError(`${file} is not valid JSON`, { hint: 'Fix or move the Docker CLI config file, or set DOCKER_HOST explicitly.' });
  }
  if (parsed !== null && typeof parsed === 'object' && 'currentContext' in parsed) {
    const value = (parsed as { currentContext: unknown }).currentContext;
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

interface ContextMeta {
  Name?: unknown;
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

async function fromContext(configDir: string, name: string, source: string): Promise<EngineEndpoint> {
  const id = contextId(name);
  const metaFile = join(configDir, 'contexts', 'meta', id, 'meta.json');
  const text = await readQuiet(metaFile);
  if (text === undefined) {
    throw new LabError(`Docker context "${name}" (from ${source}) does not exist`, {
      hint: 'Run `docker context ls` to see the contexts, then `docker context use <name>` or set DOCKER_HOST.',
    });
  }
  let meta: ContextMeta;
  try {
    meta = JSON.parse(text) as ContextMeta;
  } catch {
    throw new LabError(`the metadata of Docker context "${name}" is not valid JSON (${metaFile})`, {
      hint: 'Recreate the context with `docker context create`.',
    });
  }
  const docker = meta.Endpoints?.docker;
  const host = typeof docker?.Host === 'string' ? docker.Host : '';
  if (!host) {
    throw new LabError(`Docker context "${name}" has no docker endpoint`, {
      hint: 'Inspect it with `docker context inspect` and recreate it with a --docker host=… option.',
    });
  }
  const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
  const files = { ca: join(tlsDir, 'ca.pem'), cert: join(tlsDir, 'cert.pem'), key: join(tlsDir, 'key.pem') };
  const present = await Promise.all(Object.values(files).map(async (f) => (await readQuiet(f)) !== undefined));
  const skipVerify = docker?.SkipTLSVerify === true;
  // A context speaks TLS when it carries TLS material or explicitly skips verification.
  const tls: EngineTls | undefined =
    present.some(Boolean) || skipVerify
      ? {
          verify: !skipVerify,
          ca: present[0] ? files.ca : undefined,
          cert: present[1] ? files.cert : undefined,
          key: present[2] ? files.key : undefined,
        }
      : undefined;
  return fromHost(host, name, tls, `Docker context "${name}"`);
}

/** DOCKER_TLS_VERIFY (any non-empty value) and DOCKER_CERT_PATH, as the docker CLI reads them. */
function tlsFromEnv(env: NodeJS.ProcessEnv): EngineTls | undefined {
  const verify = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '';
  const plainTls = env.DOCKER_TLS !== undefined && env.DOCKER_TLS !== '';
  if (!verify && !plainTls) return undefined;
  const dir = env.DOCKER_CERT_PATH || dockerConfigDir(env);
  return { verify, ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0', '::']);

/** A host name or address that means this machine (for an engine address: is the engine local?). */
export function isLocalHostName(host: string): boolean {
  return LOCAL_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host.endsWith('.localhost');
}

/** Parses an engine address (`unix://`, `npipe://`, `tcp://`, `ssh://`) into an endpoint. */
export function fromHost(address: string, context: string | undefined, tls: EngineTls | undefined, source: string): EngineEndpoint {
  const bad = (why: string) =>
    new LabError(`${source} "${address}" is not a usable engine address: ${why}`, {
      exitCode: 2,
      hint: 'Use unix:///path/to/docker.sock, tcp://host:2376, or ssh://user@host.',
    });
  const scheme = /^([a-z+]+):\/\//.exec(address)?.[1];
  if (scheme === 'unix') {
    if (address.length <= 'unix://'.length) throw bad('the socket path is missing');
    return { kind: 'unix', address, publishedHost: '127.0.0.1', local: true, context };
  }
  if (scheme === 'npipe') return { kind: 'npipe', address, publishedHost: '127.0.0.1', local: true, context };
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https' || scheme === 'ssh') {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw bad('it does not parse as a URL');
    }
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!hostname) throw bad('the host name is missing');
    const local = isLocalHostName(hostname);
    const publishedHost = local ? '127.0.0.1' : hostname;
    if (scheme === 'ssh') return { kind: 'ssh', address, publishedHost, local: false, context };
    const effectiveTls = scheme === 'https' && !tls ? { verify: true, ca: undefined, cert: undefined, key: undefined } : tls;
    return { kind: 'tcp', address, publishedHost, local, context, ...(effectiveTls ? { tls: effectiveTls } : {}) };
  }
  throw bad(scheme ? `the scheme ${scheme}:// is not supported` : 'it has no scheme');
}

/** The unix socket path or npipe name of a local endpoint. */
export function socketPathOf(endpoint: EngineEndpoint): string | undefined {
  if (endpoint.kind === 'unix') return endpoint.address.slice('unix://'.length);
  if (endpoint.kind === 'npipe') return endpoint.address.slice('npipe://'.length);
  return undefined;
}

async function readQuiet(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new LabError(`cannot read ${file}: ${code ?? String(err)}`, { hint: 'Check the permissions of your Docker CLI configuration.' });
  }
}
