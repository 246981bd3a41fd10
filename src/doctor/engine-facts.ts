import * as v from 'valibot';
import { connectEngine, type Engine } from '../engine/connect.js';
import type { EngineEndpoint } from '../engine/endpoint.js';

export type EngineKind = 'Docker Engine' | 'Docker Desktop' | 'Podman';

/** What doctor learns from the engine once, for every check that needs it. */
export interface EngineFacts {
  engine: Engine;
  kind: EngineKind;
  /** The server version, e.g. `20.10.24+dfsg1` or `5.2.1`. */
  version: string;
  apiVersion: string;
  /** `/info` OperatingSystem, e.g. `Debian GNU/Linux 12 (bookworm)` or `Docker Desktop`. */
  operatingSystem: string;
  /** Bytes of memory the engine's containers can use; undefined when the engine does not say. */
  memTotal: number | undefined;
  cpus: number | undefined;
  rootless: boolean;
}

// GET /version and GET /info, reduced to the fields doctor reads.
// https://docs.docker.com/reference/api/engine/version/v1.41/#tag/System/operation/SystemVersion
// https://docs.docker.com/reference/api/engine/version/v1.41/#tag/System/operation/SystemInfo
// Podman's compatible API answers the same paths: https://docs.podman.io/en/latest/_static/api.html
const VersionBody = v.object({
  Version: v.optional(v.string()),
  ApiVersion: v.optional(v.string()),
  Platform: v.nullish(v.object({ Name: v.optional(v.string()) })),
  Components: v.nullish(v.array(v.object({ Name: v.optional(v.string()), Version: v.optional(v.string()) }))),
});
export type VersionBody = v.InferOutput<typeof VersionBody>;

const InfoBody = v.object({
  OperatingSystem: v.optional(v.string()),
  ServerVersion: v.optional(v.string()),
  MemTotal: v.optional(v.number()),
  NCPU: v.optional(v.number()),
  SecurityOptions: v.nullish(v.array(v.string())),
});
export type InfoBody = v.InferOutput<typeof InfoBody>;

/**
 * Which engine answers. Podman names its component "Podman Engine" in /version; Docker
 * Desktop reports "Docker Desktop" as the OperatingSystem in /info (its VM's OS is hidden).
 */
export function engineKind(version: VersionBody, info: InfoBody): EngineKind {
  const names = [version.Platform?.Name ?? '', ...(version.Components ?? []).map((c) => c.Name ?? '')];
  if (names.some((n) => /podman/i.test(n))) return 'Podman';
  if (/docker desktop/i.test(info.OperatingSystem ?? '')) return 'Docker Desktop';
  return 'Docker Engine';
}

/** Connects (2 s reachability check with cause and hint) and reads /version and /info. */
export async function readEngineFacts(env: NodeJS.ProcessEnv, endpoint: EngineEndpoint, signal: AbortSignal): Promise<EngineFacts> {
  const engine = await connectEngine(env, { endpoint, timeoutMs: 2000 });
  // @types/dockerode omits the options argument; docker-modem forwards abortSignal to the request.
  type WithSignal = (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
  const version = engine.docker.version.bind(engine.docker) as unknown as WithSignal;
  const info = engine.docker.info.bind(engine.docker) as unknown as WithSignal;
  const [versionBody, infoBody] = await Promise.all([version({ abortSignal: signal }), info({ abortSignal: signal })]);
  // An engine that answers in an unexpected shape is still an engine: read what parses.
  const vp = v.safeParse(VersionBody, versionBody);
  const ip = v.safeParse(InfoBody, infoBody);
  const vb: VersionBody = vp.success ? vp.output : {};
  const ib: InfoBody = ip.success ? ip.output : {};
  return {
    engine,
    kind: engineKind(vb, ib),
    version: vb.Version ?? ib.ServerVersion ?? 'unknown',
    apiVersion: vb.ApiVersion ?? 'unknown',
    operatingSystem: ib.OperatingSystem ?? 'unknown',
    memTotal: ib.MemTotal !== undefined && ib.MemTotal > 0 ? ib.MemTotal : undefined,
    cpus: ib.NCPU,
    // https://docs.docker.com/engine/security/rootless/ ("name=rootless" in SecurityOptions)
    rootless: (ib.SecurityOptions ?? []).some((o) => o.includes('name=rootless')),
  };
}
