import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';

/** A local HTTPS server presenting the lab leaf, standing in for Traefik. */
export async function startHttps(certFile: string, keyFile: string, port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer({ cert: await readFile(certFile), key: await readFile(keyFile) }, (req, res) => {
    // /v2/ answers like a registry that wants a login: any answer proves the TLS part.
    res.writeHead(req.url === '/v2/' ? 401 : 200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** curl through the system trust (no --cacert), as a user would; exit code 0 means verified. */
export async function curlSystem(host: string, port: number, path = '/'): Promise<{ exitCode: number; stderr: string; http: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/proxy|curl_ca_bundle|ssl_cert/i.test(k)) env[k] = v;
  const r = await execa(
    'curl',
    [
      '-q',
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--noproxy',
      '*',
      '--max-time',
      '10',
      '--resolve',
      `${host}:${port}:127.0.0.1`,
      `https://${host}:${port}${path}`,
    ],
    {
      reject: false,
      env,
      extendEnv: false,
    },
  );
  return { exitCode: r.exitCode ?? -1, stderr: r.stderr, http: r.stdout.trim() };
}
