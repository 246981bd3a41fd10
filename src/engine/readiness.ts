import type { LabModel } from '../config/model.js';
import { proxiedHosts } from '../config/model.js';
import type { ServiceName } from '../stack/spec.js';
import { LabError } from '../util/errors.js';
import { readOptional } from '../util/fs.js';
import type { Engine } from './connect.js';
import { type LabHttpsClient, type LabRoute, labHttpsClient } from './https.js';
import { lastLogLines, logDetails } from './logs.js';
import { elapsed } from './progress.js';
import { abortError, httpStatus, tlsEntryPoint, type WaitStrategy, waitFor } from './wait.js';

/** The route to the lab through the proxy's published HTTPS port, with the lab CA pinned. */
export async function labRoute(model: LabModel, engine: Engine): Promise<LabRoute> {
  const ca = (await readOptional(model.paths.tlsCa)) ?? (await readOptional(model.paths.caCert));
  if (ca === undefined) {
    throw new LabError(`the lab CA certificate is missing (${model.paths.tlsCa})`, {
      hint: 'Run `lab certs`, or `lab up`, which creates it.',
    });
  }
  return { publishedHost: engine.endpoint.publishedHost, port: model.ports.https, hosts: proxiedHosts(model.hosts), ca };
}

export async function labClient(model: LabModel, engine: Engine): Promise<LabHttpsClient> {
  return labHttpsClient(await labRoute(model, engine));
}

/**
 * What "ready" means per service. Traefik: its HTTPS entry point hands out the lab
 * certificate. GitLab: `/-/readiness` answers 200 through the proxy, so the whole path
 * a user takes (published port, Traefik, router, GitLab) is proven at once.
 * https://docs.gitlab.com/administration/monitoring/health_check/#readiness
 */
export function strategyFor(service: ServiceName, model: LabModel, route: LabRoute): WaitStrategy | undefined {
  if (service === 'traefik') return tlsEntryPoint(route, model.hosts.traefik);
  if (service === 'gitlab') return httpStatus(labHttpsClient(route), model.hosts.gitlab, '/-/readiness', 200);
  return undefined;
}

export interface WaitServiceOptions {
  timeoutMs: number;
  signal: AbortSignal;
  report: (text: string) => void;
}

/** Waits for one service; on timeout or exit, fails naming it, with its last 30 log lines. */
export async function waitForService(
  engine: Engine,
  service: ServiceName,
  container: { id: string; name: string },
  strategy: WaitStrategy,
  options: WaitServiceOptions,
): Promise<number> {
  const outcome = await waitFor(strategy, {
    timeoutMs: options.timeoutMs,
    intervalMs: 250,
    signal: options.signal,
    onTick: (ms, detail) => options.report(`${elapsed(ms)} · ${strategy.description}${detail ? `: ${detail}` : ''}`),
    gaveUp: async () => {
      const info = await engine.docker
        .getContainer(container.id)
        .inspect()
        .catch(() => undefined);
      if (!info) return 'the container disappeared';
      const s = info.State;
      if (s.Status === 'exited' || s.Status === 'dead') return `the container ${s.Status} (exit code ${s.ExitCode})`;
      return undefined;
    },
  });
  if (outcome.ready) return outcome.elapsedMs;
  if (outcome.reason === 'aborted') throw abortError();
  const why =
    outcome.reason === 'timeout'
      ? `did not become ready within ${elapsed(options.timeoutMs)}`
      : `stopped before it became ready: ${outcome.detail ?? ''}`;
  const last = outcome.reason === 'timeout' && outcome.detail ? ` (last check: ${outcome.detail})` : '';
  throw new LabError(`${service} ${why}${last}`, {
    hint: `Run \`lab up\` again to keep waiting (it resumes where it stopped), raise --timeout, or follow \`lab logs ${service} -f\`.`,
    details: logDetails(container.name, await lastLogLines(engine.docker, container.id, 30)),
  });
}
