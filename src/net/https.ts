import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { IncomingHttpHeaders } from 'node:http';
import { type Agent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/**
 * Reaching the lab the way a browser would, from any machine: through the proxy's
 * published HTTPS port, with SNI and Host set to the lab host, and with the lab CA as
 * the only trusted CA. A custom `lookup` maps the lab hosts to the engine's published
 * host, so neither /etc/hosts nor container IPs matter (remote engines, Docker Desktop).
 */
export interface LabRoute {
  /** Where published ports appear (EngineEndpoint.publishedHost). */
  publishedHost: string;
  /** The proxy's published HTTPS port (`ports.https`). */
  port: number;
  /** The lab hosts that must resolve to the published host. */
  hosts: string[];
  /** PEM of the lab CA: the only CA trusted on this route. */
  ca: string | Buffer;
}

export interface HttpsRequest {
  /** A lab host, e.g. `gitlab.test`. */
  host: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LabHttpsClient {
  readonly route: LabRoute;
  request(req: HttpsRequest): Promise<HttpsResponse>;
}

/** A `lookup` for net/tls/https that sends the lab hosts to the published host. */
export function labLookup(route: Pick<LabRoute, 'hosts' | 'publishedHost'>): LookupFunction {
  const lab = new Set(route.hosts);
  return (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family: number) => void,
  ): void => {
    const target = lab.has(hostname) ? route.publishedHost : hostname;
    dnsLookup(target, options, callback);
  };
}

/**
 * `agent`: a keep-alive agent for a command that makes hundreds of calls (`lab seed`), which
 * then destroys it when done; without one, every request has its own connection.
 */
export function labHttpsClient(route: LabRoute, options: { agent?: Agent } = {}): LabHttpsClient {
  const lookup = labLookup(route);
  return {
    route,
    request: (req) =>
      new Promise<HttpsResponse>((resolve, reject) => {
        const r = httpsRequest(
          {
            host: req.host,
            servername: req.host,
            port: route.port,
            path: req.path,
            method: req.method ?? 'GET',
            headers: { ...(req.body !== undefined ? { 'content-length': String(Buffer.byteLength(req.body)) } : {}), ...req.headers },
            ca: route.ca,
            lookup,
            // One connection per request unless the caller manages an agent: no keep-alive sockets that outlive the command.
            agent: options.agent ?? false,
            timeout: req.timeoutMs ?? 10_000,
            ...(req.signal ? { signal: req.signal } : {}),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
            );
            res.on('error', reject);
          },
        );
        r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer within ${req.timeoutMs ?? 10_000} ms`), { code: 'ETIMEDOUT' })));
        r.on('error', reject);
        if (req.body !== undefined) r.write(req.body);
        r.end();
      }),
  };
}

/** A TLS handshake with the proxy for `host`, verified against the lab CA only. */
export function tlsHandshake(
  route: LabRoute,
  host: string,
  timeoutMs: number,
): Promise<{ authorized: boolean; error: string | undefined }> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket | undefined;
    const timer = setTimeout(() => {
      socket?.destroy();
      reject(Object.assign(new Error(`no TLS handshake within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket = tlsConnect(
      { host, port: route.port, servername: host, ca: route.ca, lookup: labLookup(route), rejectUnauthorized: false },
      () => {
        clearTimeout(timer);
        const result = {
          authorized: socket?.authorized === true,
          error: socket?.authorizationError ? String(socket.authorizationError) : undefined,
        };
        socket?.end();
        resolve(result);
      },
    );
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket?.destroy();
      reject(err);
    });
  });
}
