// A Docker engine reached over TCP with TLS client certificates (DOCKER_HOST=tcp://…:2376,
// DOCKER_TLS_VERIFY=1, DOCKER_CERT_PATH), for running lab against a remote engine.
//
// The engine is the dind double (lab-fixture/dind: Debian's dockerd) in a container on the
// local engine, with what dockerd needs on this machine, where --privileged is refused:
// every capability but SYS_RESOURCE, no seccomp/AppArmor confinement, writable /sys paths
// and cgroups, a volume at /var/lib/docker (so overlay2 works) and a tmpfs at /run.
// dockerd is started with --tlsverify and a CA, server and client certificate minted here
// with openssl; the TLS port is also published on 127.0.0.1 of the local engine.
//
// The engine's host is that container, at its own address: DOCKER_HOST points there, so lab
// sees a remote engine (publishedHost = that address), and what lab publishes is reachable
// from this machine at the same address. Folders lab bind-mounts must exist on the engine's
// host at the same path, so `mounts` are mounted into the container at their own paths.
// Images are copied in with `docker save | docker load` (nothing can be pulled).
//
// No vitest import here: any test or bench may use it. Everything it creates carries the
// run label (see run-label.ts) and stop() removes it.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { docker, uniqueStack } from './docker.js';
import { runLabelArgs } from './run-label.js';

export const ENGINE_IMAGE = 'lab-fixture/dind:latest';

export interface RemoteEngineOptions {
  /** Folders of this machine that appear at the same path on the engine's host. */
  mounts?: string[];
  /** Local images to copy into the engine. */
  images?: string[];
  /** How long to wait for dockerd (ms). */
  timeoutMs?: number;
}

export interface RemoteEngineEnv extends Record<string, string> {
  DOCKER_HOST: string;
  DOCKER_TLS_VERIFY: string;
  DOCKER_CERT_PATH: string;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RemoteEngine {
  /** The docker CLI's environment for this engine (lab reads the same variables). */
  env: RemoteEngineEnv;
  /** The engine host's address on the local engine's network. */
  ip: string;
  /** The engine container's name. */
  name: string;
  /** The TLS port as published on this machine: `127.0.0.1:<port>` (its certificate names 127.0.0.1 too). */
  published: string;
  /** The folder with the CA (ca.pem), for tests that connect without the client certificate. */
  certDir: string;
  /** How long `docker save | docker load` of `images` took (ms). */
  loadMs: number;
  /** The docker CLI against this engine. */
  docker(args: string[], options?: { reject?: boolean; input?: string }): Promise<CliResult>;
  /** Removes the engine container, its volume, its network and the certificates. */
  stop(): Promise<void>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A leaf signed by the CA in `dir`, with the given extensions. */
async function leaf(dir: string, out: string, subject: string, extensions: string[]): Promise<void> {
  await execa('openssl', ['req', ...EC, '-keyout', join(out, 'key.pem'), '-out', join(out, 'req.csr'), '-subj', `/CN=${subject}`]);
  await writeFile(join(out, 'ext.cnf'), `${extensions.join('\n')}\n`);
  const ca = ['-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca-key.pem'), '-CAcreateserial'];
  await execa('openssl', [
    'x509',
    '-req',
    '-in',
    join(out, 'req.csr'),
    ...ca,
    '-days',
    '2',
    '-out',
    join(out, 'cert.pem'),
    '-extfile',
    join(out, 'ext.cnf'),
  ]);
  await execa('cp', [join(dir, 'ca.pem'), join(out, 'ca.pem')]);
  await Promise.all(['req.csr', 'ext.cnf'].map((f) => rm(join(out, f))));
}

/**
 * The CA, the server certificate (SANs: the engine's address, 127.0.0.1 and its names) in
 * `server/`, and a client certificate (EKU clientAuth) in `client/`, in docker's
 * DOCKER_CERT_PATH layout (ca.pem, cert.pem, key.pem). The CA key stays outside both.
 */
async function mintEngineCerts(dir: string, name: string, ip: string): Promise<void> {
  await Promise.all(['server', 'client'].map((d) => mkdir(join(dir, d))));
  await execa('openssl', [
    ...['req', '-x509', ...EC, '-keyout', join(dir, 'ca-key.pem'), '-out', join(dir, 'ca.pem'), '-days', '2'],
    ...['-subj', `/CN=lab test engine CA ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE'],
    ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
  await leaf(dir, join(dir, 'server'), name, [
    `subjectAltName=IP:${ip},IP:127.0.0.1,DNS:${name},DNS:localhost`,
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
  ]);
  await leaf(dir, join(dir, 'client'), 'lab test client', [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ]);
}

/** Starts the engine, waits until it answers over TLS, and loads `images` into it. */
export async function startRemoteEngine(options: RemoteEngineOptions = {}): Promise<RemoteEngine> {
  const stack = await uniqueStack('re');
  const name = `${stack.name}-engine`;
  const network = `${stack.name}-net`;
  const volume = `${stack.name}-docker`;
  const ip = stack.proxyIp;
  const certDir = await mkdtemp(join(tmpdir(), 'lab-remote-engine-'));
  const env: RemoteEngineEnv = { DOCKER_HOST: `tcp://${ip}:2376`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(certDir, 'client') };
  const cli = async (args: string[], opts: { reject?: boolean; input?: string } = {}): Promise<CliResult> => {
    const r = await execa('docker', args, { env, reject: opts.reject ?? true, input: opts.input ?? '' });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const stop = async () => {
    await docker(['rm', '-f', '-v', name], { reject: false });
    await docker(['volume', 'rm', '-f', volume], { reject: false });
    await docker(['network', 'rm', network], { reject: false });
    await rm(certDir, { recursive: true, force: true });
  };
  try {
    await mintEngineCerts(certDir, name, ip);
    await docker(['network', 'create', ...runLabelArgs(), '--subnet', stack.subnet, network]);
    await docker(['volume', 'create', ...runLabelArgs(), volume]);
    await docker([
      ...['run', '-d', '--name', name, '--hostname', name, ...runLabelArgs(), '--network', network, '--ip', ip, '-p', '127.0.0.1::2376'],
      // What a nested dockerd needs here (--privileged is refused: no CAP_SYS_RESOURCE).
      ...['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined'],
      ...['--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined'],
      ...['-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '-v', `${volume}:/var/lib/docker`, '--tmpfs', '/run'],
      // dind mounts a tmpfs on /tmp unless /tmp is a mount point already, which would hide
      // folders mounted below it: make it the tmpfs, with the folders on top.
      ...['--tmpfs', '/tmp', '-v', `${join(certDir, 'server')}:/certs:ro`],
      ...(options.mounts ?? []).flatMap((m) => ['-v', `${m}:${m}`]),
      ENGINE_IMAGE,
      // `dockerd …` as the command: the entrypoint runs exactly these flags (no generated certificates).
      ...['dockerd', '--host=unix:///var/run/docker.sock', '--host=tcp://0.0.0.0:2376', '--tlsverify'],
      ...['--tlscacert=/certs/ca.pem', '--tlscert=/certs/cert.pem', '--tlskey=/certs/key.pem'],
    ]);
    const port = (await docker(['port', name, '2376/tcp'])).stdout.trim().split('\n')[0] ?? '';
    const deadline = Date.now() + (options.timeoutMs ?? 90_000);
    for (;;) {
      const v = await cli(['version', '--format', '{{.Server.Version}}'], { reject: false });
      if (v.exitCode === 0) break;
      if (Date.now() > deadline) {
        const logs = await docker(['logs', '--tail', '30', name], { reject: false });
        throw new Error(`the remote engine did not answer over TLS: ${v.stderr}\n${logs.stdout}\n${logs.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const started = Date.now();
    const images = options.images ?? [];
    if (images.length > 0) {
      // `docker save` from the local engine, `docker load` into this one, in one pipe.
      const script =
        'set -o pipefail; docker save "$@" | DOCKER_HOST="$RE_HOST" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$RE_CERTS" docker load -q';
      await execa('bash', ['-c', script, 'load', ...images], { env: { RE_HOST: env.DOCKER_HOST, RE_CERTS: env.DOCKER_CERT_PATH } });
    }
    return { env, ip, name, published: port, certDir, loadMs: Date.now() - started, docker: cli, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
