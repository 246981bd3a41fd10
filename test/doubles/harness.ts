// Helpers for the fixture tests: a hand-wired stack (no lab engine), a throwaway CA,
// and the probe run from a client container on the lab network.
import { join } from 'node:path';
import { docker } from '../helpers/docker.js';
import { type MintedLab, mintCerts } from '../helpers/pki.js';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string;
  tls?: {
    protocol: string | null;
    authorized: boolean;
    peerCertificate?: { subject: Record<string, string>; issuer: Record<string, string>; subjectaltname: string };
  };
  error?: { code: string; message: string };
}

/** Everything a test creates, so afterAll removes exactly that. */
export class Resources {
  containers: string[] = [];
  networks: string[] = [];
  volumes: string[] = [];

  async cleanup(): Promise<void> {
    if (this.containers.length) await docker(['rm', '-f', '-v', ...this.containers], { reject: false });
    for (const n of this.networks) await docker(['network', 'rm', n], { reject: false });
    if (this.volumes.length) await docker(['volume', 'rm', '-f', ...this.volumes], { reject: false });
  }

  async run(name: string, args: string[]): Promise<string> {
    this.containers.push(name);
    const r = await docker(['run', '-d', '--name', name, ...args]);
    return r.stdout.trim();
  }
}

/** A CA and a leaf for `names` in one folder (ca.pem, lab.pem, lab-key.pem), as the fixtures mount them. */
export function makeCerts(dir: string, caName: string, names: string[]): Promise<MintedLab> {
  const p = (f: string) => join(dir, f);
  return mintCerts({ caCert: p('ca.pem'), caKey: p('ca-key.pem'), leafCert: p('lab.pem'), leafKey: p('lab-key.pem') }, names, caName);
}

/** Runs the probe inside `client` (a lab-fixture/node container on the lab network). */
export async function probe(
  client: string,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; data?: string; resolve?: string } = {},
): Promise<ProbeResult> {
  const args = ['exec', client, '/usr/local/bin/node', '/fixture/probe.mjs', url, '--ca', '/certs/ca.pem'];
  if (opts.method) args.push('--method', opts.method);
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('--header', `${k}: ${v}`);
  if (opts.data !== undefined) args.push('--data', opts.data, '--header', 'Content-Type: application/json');
  if (opts.resolve) args.push('--resolve', opts.resolve);
  const r = await docker(args, { reject: false });
  return JSON.parse(r.stdout) as ProbeResult;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export async function logsOf(container: string): Promise<string> {
  const r = await docker(['logs', container], { reject: false });
  return `${r.stdout}\n${r.stderr}`;
}

export function ipOf(container: string, network: string): Promise<string> {
  return docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, container]).then((r) => r.stdout.trim());
}
