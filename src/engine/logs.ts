import type { Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { errorMessage } from '../util/errors.js';
import { firstLine } from './errors.js';

/**
 * Container logs. Without a TTY the engine multiplexes stdout and stderr into frames:
 * an 8-byte header (stream type, 3 zero bytes, big-endian payload length) and the payload.
 * https://docs.docker.com/reference/api/engine/version/v1.41/#tag/Container/operation/ContainerAttach
 */
export interface LogFrame {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

/** Splits a complete multiplexed buffer; anything that is not a frame is treated as raw stdout. */
export function demultiplex(buffer: Buffer): LogFrame[] {
  const frames: LogFrame[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const zeros = buffer[offset + 1] === 0 && buffer[offset + 2] === 0 && buffer[offset + 3] === 0;
    if ((type !== 0 && type !== 1 && type !== 2) || !zeros) break;
    const length = buffer.readUInt32BE(offset + 4);
    if (offset + 8 + length > buffer.length) break;
    frames.push({ stream: type === 2 ? 'stderr' : 'stdout', data: buffer.subarray(offset + 8, offset + 8 + length) });
    offset += 8 + length;
  }
  if (offset < buffer.length) frames.push({ stream: 'stdout', data: buffer.subarray(offset) });
  return frames;
}

/**
 * The stored logs of a container (not followed), and whether it runs with a TTY (then the logs
 * are not multiplexed). `sinceStart` keeps only what its current process wrote: the engine's
 * `since` compares with its own clock, as State.StartedAt does, so no clock skew enters.
 */
async function storedLogs(
  container: Dockerode.Container,
  tail: number | 'all',
  sinceStart = false,
): Promise<{ tty: boolean; buffer: Buffer }> {
  const info = await container.inspect();
  const started = Date.parse(info.State.StartedAt);
  // The API takes seconds with a fraction (timetypes.ParseTimestamps); no `tail` means all lines.
  const since = sinceStart && Number.isFinite(started) ? { since: (started / 1000).toFixed(3) } : {};
  const raw: Buffer | string = await container.logs({
    stdout: true,
    stderr: true,
    follow: false,
    ...since,
    ...(tail === 'all' ? {} : { tail }),
  });
  return { tty: info.Config.Tty === true, buffer: Buffer.isBuffer(raw) ? raw : Buffer.from(raw) };
}

export interface LastLogLinesOptions {
  /** Only lines that the container's current process wrote (since State.StartedAt). */
  sinceStart?: boolean;
}

/** The last `n` log lines of a container (stdout and stderr interleaved as the engine stored them). */
export async function lastLogLines(docker: Dockerode, containerId: string, n = 30, options: LastLogLinesOptions = {}): Promise<string[]> {
  try {
    const { tty, buffer } = await storedLogs(docker.getContainer(containerId), n, options.sinceStart);
    const text = tty
      ? buffer.toString('utf8')
      : demultiplex(buffer)
          .map((f) => f.data.toString('utf8'))
          .join('');
    return text
      .split(/\r?\n/)
      .filter((l, i, all) => l !== '' || i < all.length - 1)
      .slice(-n);
  } catch (err) {
    return [`(could not read the logs: ${firstLine(errorMessage(err))})`];
  }
}

export interface StreamLogsOptions {
  follow: boolean;
  /** A line count, or 'all'. */
  tail: number | 'all';
  stdout: Writable;
  stderr: Writable;
  signal?: AbortSignal;
}

/** Writes a container's logs to the given streams, demultiplexed; with `follow`, until it stops. */
export async function streamLogs(docker: Dockerode, containerId: string, options: StreamLogsOptions): Promise<void> {
  const container = docker.getContainer(containerId);
  if (!options.follow) {
    const { tty, buffer } = await storedLogs(container, options.tail);
    if (tty) options.stdout.write(buffer);
    else for (const f of demultiplex(buffer)) (f.stream === 'stderr' ? options.stderr : options.stdout).write(f.data);
    return;
  }
  const tty = (await container.inspect()).Config.Tty === true;
  const stream = (await container.logs({
    stdout: true,
    stderr: true,
    follow: true,
    ...(options.tail === 'all' ? {} : { tail: options.tail }),
  })) as NodeJS.ReadableStream & { destroy?: () => void };
  await new Promise<void>((resolve, reject) => {
    if (tty) stream.on('data', (c: Buffer) => options.stdout.write(c));
    else docker.modem.demuxStream(stream, options.stdout, options.stderr);
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
    options.signal?.addEventListener('abort', () => {
      stream.destroy?.();
      resolve();
    });
  });
}
