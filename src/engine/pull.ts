import type Dockerode from 'dockerode';
import { errorMessage, LabError } from '../util/errors.js';
import { firstLine } from './errors.js';

/** One event of the `POST /images/create` JSON stream. */
export interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

export interface PullProgress {
  image: string;
  /** Bytes downloaded so far, summed over the layers the engine reported. */
  current: number;
  /** Bytes to download, as far as known (layers announce their size when they start). */
  total: number;
  layersDone: number;
  layers: number;
}

/** Folds pull events into byte progress; pure, so the arithmetic is testable. */
export class PullTracker {
  private readonly layers = new Map<string, { current: number; total: number; done: boolean }>();
  constructor(readonly image: string) {}

  /** Returns the error message if the event carries one (apocas/dockerode#639: followProgress drops them). */
  add(event: PullEvent): string | undefined {
    if (event.error !== undefined || event.errorDetail?.message !== undefined)
      return event.error ?? event.errorDetail?.message ?? 'unknown error';
    const id = event.id;
    const status = event.status ?? '';
    // "Pulling from <repo>" carries the tag as its id; only layer events count.
    if (!id || status.startsWith('Pulling from')) return undefined;
    const layer = this.layers.get(id) ?? { current: 0, total: 0, done: false };
    const detail = event.progressDetail;
    if (status === 'Downloading' && detail?.total) {
      layer.total = detail.total;
      layer.current = detail.current ?? layer.current;
    } else if (status === 'Download complete' || status === 'Pull complete' || status === 'Already exists') {
      layer.current = layer.total;
      layer.done = status !== 'Download complete' || layer.done;
    }
    this.layers.set(id, layer);
    return undefined;
  }

  progress(): PullProgress {
    let current = 0;
    let total = 0;
    let done = 0;
    for (const l of this.layers.values()) {
      current += l.current;
      total += l.total;
      if (l.done) done++;
    }
    return { image: this.image, current, total, layersDone: done, layers: this.layers.size };
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function describeProgress(p: PullProgress): string {
  if (p.total === 0) return p.layers > 0 ? `${p.layersDone}/${p.layers} layers` : 'waiting';
  return `${formatBytes(p.current)} / ${formatBytes(p.total)} (${p.layersDone}/${p.layers} layers)`;
}

/** Pulls one image, checking every stream event for an error; resolves when the stream ends. */
export async function pullImage(docker: Dockerode, image: string, onProgress: (p: PullProgress) => void): Promise<void> {
  const hint =
    "Check the image reference under `images:` in lab.yml and the engine's access to the registry; with local images use --pull never.";
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (err) {
    throw new LabError(`cannot pull ${image}: ${firstLine(errorMessage(err))}`, { hint, cause: err });
  }
  const tracker = new PullTracker(image);
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    let failed = false;
    const handleLine = (line: string) => {
      if (failed || line.trim() === '') return;
      let event: PullEvent;
      try {
        event = JSON.parse(line) as PullEvent;
      } catch {
        return; // a torn line cannot happen with the newline framing; ignore noise
      }
      const error = tracker.add(event);
      if (error !== undefined) {
        failed = true;
        reject(new LabError(`pulling ${image} failed: ${firstLine(error)}`, { hint }));
        return;
      }
      onProgress(tracker.progress());
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        handleLine(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    });
    stream.on('error', (err: Error) => {
      if (!failed) reject(new LabError(`pulling ${image} failed: ${firstLine(err.message)}`, { hint, cause: err }));
      failed = true;
    });
    stream.on('end', () => {
      handleLine(buffer);
      if (!failed) resolve();
    });
  });
}
