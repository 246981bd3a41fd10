// The remote build engine of `runner.docker: remote`, set up the way the README tells a user:
// `lab certs --builder builder` mints its server certificate from the lab CA and prints the
// dockerd flags, and the engine runs with exactly those flags, so it accepts only clients
// with a lab-signed certificate (the one `lab up` mints for jobs).
//
// It is the dind double (Debian's dockerd) in a container of this machine's engine, run with
// the capability recipe of remote-engine.ts (this machine refuses --privileged). Jobs run on
// networks of their own, so they reach it the way they reach the lab: through the engine
// host's gateway address (`host-gateway`), where its TLS port is published. Its own dockerd
// resolves the lab's names there too (--add-host), since it pushes to the registry itself.
//
// No vitest import here: the bench uses it too.
import { execa } from 'execa';
import { docker } from './docker.js';
import type { FixtureLab } from './fixture-lab.js';
import { ENGINE_IMAGE } from './remote-engine.js';

export interface Builder {
  /** The container's name on this machine's engine. */
  container: string;
  /** Its name for the lab and for jobs: `builder.<domain>`. */
  hostname: string;
  /** `tcp://builder.<domain>:<port>` */
  host: string;
  /** The docker CLI's environment for it, with the jobs' client certificate. */
  env: Record<string, string>;
  docker(args: string[], options?: { reject?: boolean }): Promise<{ exitCode: number; stdout: string; stderr: string; all: string }>;
  stop(): Promise<void>;
}

/** Where `lab certs --builder` tells the user to copy the pair (src/cli/commands/certs.ts). */
const TLS_DIR = '/etc/docker/lab-tls';

/**
 * The address `host-gateway` stands for on this engine (the default bridge's gateway unless
 * dockerd's --host-gateway-ip says otherwise), read the way a job sees it: from /etc/hosts
 * of a container started with `--add-host …:host-gateway`.
 */
export async function hostGateway(): Promise<string> {
  const r = await docker(['run', '--rm', '--add-host', 'lab-gateway:host-gateway', 'lab-fixture/busybox:latest', 'cat', '/etc/hosts']);
  const ip = /^(\d+\.\d+\.\d+\.\d+)\s+lab-gateway$/m.exec(r.stdout)?.[1];
  if (!ip) throw new Error(`host-gateway is not an IPv4 address here:\n${r.stdout}`);
  return ip;
}

/** The lab.yml lines of `runner:` for this builder. */
export function remoteRunnerLines(lab: FixtureLab, gateway: string, port: number): string[] {
  return ['  docker: remote', '  remote:', `    host: tcp://builder.${lab.domain}:${port}`, `    address: ${gateway}`];
}

/**
 * Mints the server pair with `lab certs --builder builder`. Run it before `lab up`, which
 * mints the client pair for jobs; start the engine afterwards with startBuilder.
 */
export async function mintBuilderCerts(lab: FixtureLab): Promise<{ dir: string; dockerd: string[] }> {
  const r = await lab.lab(['certs', '--builder', 'builder', '--json']);
  if (r.exitCode !== 0) throw new Error(`lab certs --builder failed:\n${r.all}`);
  const { builder } = JSON.parse(r.stdout) as { builder: { dir: string; dockerd: string[]; names: string[] } };
  if (builder.names[0] !== `builder.${lab.domain}`) throw new Error(`unexpected builder names ${builder.names.join(', ')}`);
  return { dir: builder.dir, dockerd: builder.dockerd };
}

/**
 * Starts the engine with the pair from mintBuilderCerts, published on `gateway:port`, and
 * waits until it answers the jobs' client certificate; then loads `images` into it
 * (`docker save | docker load`: nothing can be pulled here). `builder.<domain>` must
 * resolve to `gateway` on this machine already (HostWiring.addHost).
 */
export async function startBuilder(
  lab: FixtureLab,
  certs: { dir: string; dockerd: string[] },
  options: { gateway: string; port: number; images: string[] },
): Promise<Builder> {
  const container = `${lab.name}-builder`;
  const hostname = `builder.${lab.domain}`;
  const host = `tcp://${hostname}:${options.port}`;
  const env = { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: `${lab.dir}/.lab/secrets/builder-client` };
  const cli = async (args: string[], opts: { reject?: boolean } = {}) => {
    const r = await execa('docker', args, { env, reject: opts.reject ?? true, all: true });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, all: r.all ?? '' };
  };
  const stop = async () => {
    await docker(['rm', '-f', '-v', container], { reject: false });
  };
  try {
    await docker([
      ...['run', '-d', '--name', container, '--hostname', 'builder'],
      ...['-p', `${options.gateway}:${options.port}:2376`],
      // Its dockerd pushes to the lab registry and asks GitLab for registry tokens.
      ...[lab.hosts.gitlab, lab.hosts.registry].flatMap((h) => ['--add-host', `${h}:host-gateway`]),
      // What a nested dockerd needs here (--privileged is refused: no CAP_SYS_RESOURCE).
      ...['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined'],
      ...['--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined'],
      ...['-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '-v', '/var/lib/docker', '--tmpfs', '/run'],
      ...['-v', `${certs.dir}:${TLS_DIR}:ro`],
      ENGINE_IMAGE,
      // The flags `lab certs --builder` printed, and the local socket.
      ...['dockerd', '--host=unix:///var/run/docker.sock', ...certs.dockerd],
    ]);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const v = await cli(['version', '--format', '{{.Server.Version}}'], { reject: false });
      if (v.exitCode === 0) break;
      if (Date.now() > deadline) {
        const logs = await docker(['logs', '--tail', '30', container], { reject: false });
        throw new Error(`the builder did not answer over TLS: ${v.all}\n${logs.stdout}\n${logs.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    if (options.images.length > 0) {
      const script =
        'set -o pipefail; docker save "$@" | DOCKER_HOST="$B_HOST" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$B_CERTS" docker load -q';
      await execa('bash', ['-c', script, 'load', ...options.images], { env: { B_HOST: host, B_CERTS: env.DOCKER_CERT_PATH } });
    }
    return { container, hostname, host, env, docker: cli, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
