// A raw TCP client for the Traefik double's TCP routing tests: it collects what arrives,
// waits for it, and can half-close (allowHalfOpen), so a test sees FINs and resets as they are.
import { connect, type Socket } from 'node:net';

/** A raw connection (half-open allowed) that collects what arrives. */
export function open(host: string, port: number) {
  const socket: Socket = connect({ host, port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let length = 0;
  // One copy, made when asked: tests with large payloads ask for the length only.
  const data = () => {
    if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks));
    return chunks[0] ?? Buffer.alloc(0);
  };
  const waiters = new Set<() => void>();
  let closed = false;
  const wake = () => {
    for (const w of waiters) w();
  };
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    length += c.length;
    wake();
  });
  socket.on('error', () => {});
  const ended = new Promise<'end' | 'close'>((resolve) => {
    socket.on('end', () => resolve('end'));
    socket.on('close', () => {
      closed = true;
      resolve('close');
      wake();
    });
  });
  /** Resolves once what arrived satisfies `ok` (given the byte count, then the bytes); rejects when the connection closes first. */
  const until = (ok: (b: Buffer) => boolean, ms = 10_000, atLeast = 1) =>
    new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out; got ${JSON.stringify(data().toString().slice(0, 200))}`)), ms);
      const done = (err?: Error) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(data());
      };
      const check = () => {
        if (length >= atLeast && ok(data())) done();
        else if (closed) done(new Error(`closed; got ${JSON.stringify(data().toString().slice(0, 200))}`));
      };
      waiters.add(check);
      check();
    });
  const line = () => until((b) => b.includes('\n')).then((b) => b.toString().split('\n')[0] ?? '');
  return { socket, data, ended, until, line };
}

/** The first line a server sends, on a connection of its own. */
export async function firstLine(host: string, port: number): Promise<string> {
  const c = open(host, port);
  try {
    return await c.line();
  } finally {
    c.socket.destroy();
  }
}
