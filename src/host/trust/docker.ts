import { join } from 'node:path';
import { type LabModel, registryAddress } from '../../config/model.js';
import type { EngineEndpoint } from '../../engine/endpoint.js';
import { readOptional } from '../../util/fs.js';
import { exists, type PlatformInfo, which } from '../platform.js';
import { copyInSteps, copyOutSteps } from './fsplan.js';
import { isSameCertificate } from './lab-ca.js';
import { opensslVerify } from './probe.js';
import type { TrustInstall } from './record.js';
import type { Applicability, InstallPlan, TrustCheck, TrustContext, UninstallContext, UninstallPlan } from './types.js';
import { labHttpsTarget, offlineSubject, verifyHttps } from './verify.js';

export const DOCKER_CERTS_D = '/etc/docker/certs.d';

export type DockerFlavor = 'engine' | 'desktop' | 'remote' | 'none';

/**
 * The folder the daemon looks in for `registry.<domain>[:port]`; the port is part
 * of the name whenever it is not 443, exactly as in image references.
 * https://docs.docker.com/engine/security/certificates/
 */
export function dockerCertsDir(model: LabModel): string {
  return join(DOCKER_CERTS_D, registryAddress(model));
}

export function dockerCaFile(model: LabModel): string {
  return join(dockerCertsDir(model), 'ca.crt');
}

/** Which Docker the registry trust is for: a local Engine reads certs.d; Desktop and remote engines do not read ours. */
export async function dockerFlavor(platform: PlatformInfo, endpoint: EngineEndpoint, env: NodeJS.ProcessEnv): Promise<DockerFlavor> {
  if (!endpoint.local) return 'remote';
  if (platform.os === 'darwin' || platform.os === 'win32') return (await which('docker', env)) ? 'desktop' : 'none';
  if (endpoint.context === 'desktop-linux' || endpoint.address.includes('/.docker/desktop/')) return 'desktop';
  if ((await exists('/etc/docker')) || (await which('dockerd', env))) return 'engine';
  return 'none';
}

export async function dockerApplicability(ctx: Pick<TrustContext, 'platform' | 'endpoint' | 'env' | 'model'>): Promise<Applicability> {
  const flavor = await dockerFlavor(ctx.platform, ctx.endpoint, ctx.env);
  switch (flavor) {
    case 'engine':
      return { applies: true, reason: dockerCertsDir(ctx.model) };
    case 'desktop':
      return {
        applies: false,
        reason: 'Docker Desktop does not read /etc/docker/certs.d on this machine; it trusts what the system store trusts',
        hint: 'Run `lab trust --system`, then restart Docker Desktop.',
      };
    case 'remote':
      return {
        applies: false,
        reason: `the engine at ${ctx.endpoint.address} runs on another host`,
        hint: `Copy the CA to ${dockerCaFile(ctx.model)} on that host (the daemon reads it without a restart).`,
      };
    case 'none':
      return { applies: false, reason: 'no local Docker Engine (no /etc/docker, no dockerd)' };
  }
}

export async function planDockerInstall(ctx: TrustContext, recorded: TrustInstall[]): Promise<InstallPlan[]> {
  const { ca, model } = ctx;
  const file = dockerCaFile(model);
  const mine = recorded.find((e) => e.kind === 'docker' && e.file === file);
  const current = await readOptional(file);
  if (isSameCertificate(current, ca.der)) {
    return [
      {
        store: 'docker',
        location: file,
        status: mine ? 'installed' : 'present',
        steps: [],
        ...(mine ? {} : { message: 'already there, but lab did not put it there; --uninstall will leave it' }),
      },
    ];
  }
  if (current !== undefined && !mine) {
    return [
      {
        store: 'docker',
        location: file,
        status: 'conflict',
        steps: [],
        message: `${file} holds another CA (maybe another lab with the same registry name)`,
        hint: "Uninstall that lab's trust (`lab trust --uninstall` in its folder) or move the file away, then run lab trust again.",
      },
    ];
  }
  const { steps, createdDirs } = await copyInSteps(ca.path, file);
  const record: TrustInstall = {
    kind: 'docker',
    file,
    createdDirs: [...(mine?.kind === 'docker' ? mine.createdDirs : []), ...createdDirs],
    nick: ca.nick,
    fingerprint256: ca.fingerprint256,
    installedAt: new Date().toISOString(),
  };
  return [
    {
      store: 'docker',
      location: file,
      status: 'install',
      steps,
      record,
      message: 'the daemon reads it on the next pull or push; no restart needed',
    },
  ];
}

export async function planDockerUninstall(entry: TrustInstall, _ctx: UninstallContext): Promise<UninstallPlan> {
  if (entry.kind !== 'docker') throw new Error(`not a Docker entry: ${entry.kind}`);
  return { entry, ...(await copyOutSteps(entry.file, entry.fingerprint256, entry.createdDirs)) };
}

/**
 * A registry probe the way the daemon would verify it: GET /v2/ through the proxy,
 * trusting only certs.d's ca.crt (any HTTP answer, 200 or 401, proves the TLS part).
 */
export async function checkDocker(ctx: TrustContext): Promise<TrustCheck[]> {
  const flavor = await dockerFlavor(ctx.platform, ctx.endpoint, ctx.env);
  const file = dockerCaFile(ctx.model);
  if (flavor !== 'engine') {
    const a = await dockerApplicability(ctx);
    return [
      { store: 'docker', location: file, status: 'warn', method: 'engine detection', detail: a.reason, ...(a.hint ? { fix: a.hint } : {}) },
    ];
  }
  const current = await readOptional(file);
  const method = `read ${file}`;
  if (current === undefined)
    return [
      {
        store: 'docker',
        location: file,
        status: 'fail',
        method,
        detail: `no ${file}: the daemon will not trust ${ctx.model.hosts.registry}`,
        fix: 'Run `lab trust --docker`.',
      },
    ];
  if (!isSameCertificate(current, ctx.ca.der)) {
    return [
      {
        store: 'docker',
        location: file,
        status: 'fail',
        method,
        detail: `${file} holds another certificate than the lab CA`,
        fix: 'Run `lab trust --uninstall --docker` in the lab that put it there, then `lab trust --docker` here.',
      },
    ];
  }
  const target = await labHttpsTarget(ctx, ctx.model.hosts.registry, '/v2/');
  const subject = await offlineSubject(ctx);
  const fallback = () => opensslVerify(file, subject.cert, subject.cert === ctx.ca.path ? undefined : ctx.model.hosts.registry, ctx.env);
  return [
    await verifyHttps(ctx, 'docker', target, {
      location: file,
      caFile: file,
      fallback,
      fix: 'Run `lab certs` and restart the proxy (`lab up`) so it serves a certificate from this CA.',
    }),
  ];
}
