import { LabError, logDetails } from '../util/errors.js';
import { abortError, elapsed } from '../util/time.js';
import { type WaitStrategy, waitFor } from '../util/wait.js';
import type { Engine } from './connect.js';
import { lastLogLines } from './logs.js';

export interface WaitContainerOptions {
  timeoutMs: number;
  signal: AbortSignal;
  report: (text: string) => void;
}

/**
 * Waits until `strategy` holds for a service's container. Gives up at once when the
 * container exits; on timeout or exit it fails naming the service, with its last 30 log lines.
 */
export async function waitForContainer(
  engine: Engine,
  service: string,
  container: { id: string; name: string },
  strategy: WaitStrategy,
  options: WaitContainerOptions,
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
