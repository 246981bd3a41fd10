import type { Writable } from 'node:stream';
import type Dockerode from 'dockerode';

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

async function isTty(container: Dockerode.Container): Promise<boolean> {
  const info = await container.inspect();
  return info.Config.Tty === true;
}

/** The last `n` log lines of a container (stdout and stderr interleaved as the engine stored them). */
export async function lastLogLines(docker: Dockerode, containerId: string, n = 30): Promise<string[]> {
  try {
    const container = docker.getContainer(containerId);
    const tty = await isTty(container);
    const raw = (await container.logs({ stdout: true, stderr: true, tail: n, follow: false })) as unknown as Buffer;
    const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
    const text = tty ? buffer.toString('utf8') : demultiplex(buffer).map((f) => f.data.toString('utf8')).join('');
    return text.split(/\r?\n/).filter((l, i, all) => l !== '' || i < all.length - 1).slice(-n);
  } catch (err) {
    return [`(could not read the logs: ${err instanceof Error ? err.message.split('\n')[0] : String(err)})`];
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
  const tty = await isTty(container);
  const tail = options.tail === 'all' ? 'all' : String(options.tail);
  if (!options.follow) {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: tail as unknown as number, follow: false })) as unknown as Buffer;
    const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
    if (tty) options.stdout.write(buffer);
    else for (const f of demultiplex(buffer)) (f.stream === 'stderr' ? options.stderr : options.stdout).write(f.data);
    return;
  }
  const stream = (await container.logs({ stdout: true, stderr: true, tail: tail as unknown as number, follow: true })) as NodeJS.ReadableStream & { destroy?: () => void };
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
