import { isAbsolute, join } from 'node:path';
import type Dockerode from 'dockerode';
import { parseEnvFile } from '../util/envfile.js';
import { errorMessage, LabError } from '../util/errors.js';
import { readTextOptional } from '../util/fs.js';
import { registerSecret } from '../util/secrets.js';
import { firstLine } from './errors.js';
import type { Labels } from './labels.js';
import type { ContainerSpec, HostPath } from './spec.js';

const NS_PER_S = 1_000_000_000;

/** A bind source as an absolute path on the engine host (the lab folder's own path). */
export function hostPath(source: HostPath, labDir: string): string {
  if (source.kind === 'host') return source.path;
  return isAbsolute(source.path) ? source.path : join(labDir, ...source.path.split('/'));
}

/**
 * Reads the service's env files (secrets such as the root password) at create time.
 * Missing files are allowed. Every value is registered as a secret, so that no output
 * path can print it; the values go only into the container's environment.
 */
export async function readEnvFiles(spec: ContainerSpec, labDir: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const rel of spec.envFiles) {
    const text = await readTextOptional(join(labDir, ...rel.split('/')));
    if (text === undefined) continue;
    for (const [k, v] of Object.entries(parseEnvFile(text))) env[k] = registerSecret(v);
  }
  return env;
}

export interface CreateInputs {
  labDir: string;
  labels: Labels;
  /** Values from the env files; compose lets `environment` win over `env_file`, and so does lab. */
  envFromFiles: Record<string, string>;
}

/** Pure: one ContainerSpec in, the Engine API's container-create body out. */
export function containerCreateOptions(spec: ContainerSpec, inputs: CreateInputs): Dockerode.ContainerCreateOptions {
  const env = { ...inputs.envFromFiles, ...spec.environment };
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    const key = `${p.container}/tcp`;
    exposed[key] = {};
    bindings[key] = [...(bindings[key] ?? []), { HostIp: '', HostPort: String(p.host) }];
  }
  const mounts: Dockerode.MountConfig = spec.mounts.map((m) =>
    m.type === 'bind'
      ? { Type: 'bind' as const, Source: hostPath(m.source, inputs.labDir), Target: m.target, ReadOnly: m.readOnly }
      : { Type: 'volume' as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly },
  );
  const hc = spec.healthcheck;
  return {
    name: spec.containerName,
    Image: spec.image,
    Hostname: spec.hostname,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: inputs.labels,
    ExposedPorts: exposed,
    // Honoured by every later `docker stop` (and lab down) that does not name its own timeout.
    ...(spec.stopGracePeriodSeconds !== undefined ? { StopTimeout: spec.stopGracePeriodSeconds } : {}),
    ...(hc
      ? {
          Healthcheck: {
            Test: hc.test,
            Interval: hc.intervalSeconds * NS_PER_S,
            Timeout: hc.timeoutSeconds * NS_PER_S,
            Retries: hc.retries,
            StartPeriod: hc.startPeriodSeconds * NS_PER_S,
          },
        }
      : {}),
    HostConfig: {
      Mounts: mounts,
      PortBindings: bindings,
      RestartPolicy: { Name: spec.restart },
      ExtraHosts: spec.extraHosts.map((h) => `${h.host}:${h.ip}`),
      NetworkMode: spec.network.name,
      Privileged: spec.privileged,
      ...(spec.shmSizeBytes !== undefined ? { ShmSize: spec.shmSizeBytes } : {}),
    },
    NetworkingConfig: {
      EndpointsConfig: {
        [spec.network.name]: {
          ...(spec.network.ipv4Address ? { IPAMConfig: { IPv4Address: spec.network.ipv4Address } } : {}),
          Aliases: [...spec.network.aliases],
        },
      },
    },
  };
}

/** Turns the engine's create errors into a line a user can act on. */
export function createError(spec: ContainerSpec, err: unknown, remote: boolean): LabError {
  const message = errorMessage(err);
  const missing = /bind source path does not exist: (\S+)/.exec(message);
  if (missing) {
    return new LabError(`cannot create ${spec.containerName}: the bind source ${missing[1]} does not exist on the engine host`, {
      hint: remote
        ? 'A remote engine mounts paths of its own host: the lab folder must exist at the same path there (or run lab on the engine host).'
        : 'Run `lab up` again; it renders the files and certificates before creating containers.',
      cause: err,
    });
  }
  return new LabError(`cannot create ${spec.containerName}: ${firstLine(message)}`, {
    hint: 'See `lab doctor` for a check of the engine and the lab folder.',
    cause: err,
  });
}
