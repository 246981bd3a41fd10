// The real clients of the GitLab platform tests: a Docker daemon (the dind double) on the
// stack's network that logs in, pushes and pulls through the Traefik double, and this
// machine's ssh and git talking to the GitLab double's sshd.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { docker } from '../helpers/docker.js';
import { runLabelArgs } from '../helpers/run-label.js';
import { tempDir } from '../helpers/tmp.js';
import type { PlatformStack } from './gitlab-platform-stack.js';
import { waitFor } from './harness.js';

/** A Docker daemon on the stack's network that trusts the stack's CA for the registry. */
export async function startDaemon(s: PlatformStack): Promise<(...args: string[]) => ReturnType<typeof docker>> {
  const name = `${s.stack.name}-dind`;
  const certs = join(await tempDir('lab-platform-certs-'), `registry.${s.dom}`);
  await mkdir(certs, { recursive: true });
  await writeFile(join(certs, 'ca.crt'), s.ca);
  // The capabilities dockerd needs here, as --privileged is refused on this machine.
  await s.res.run(name, [
    ...runLabelArgs(),
    ...['--network', s.net, ...s.hostsArgs(), '-e', 'DOCKER_TLS_CERTDIR='],
    ...['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined'],
    ...['--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined'],
    ...['-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '--tmpfs', '/run', '-v', `${certs}:/etc/docker/certs.d/registry.${s.dom}:ro`],
    'lab-fixture/dind',
  ]);
  const cli = (...args: string[]) => docker(['exec', '-i', name, 'docker', ...args], { reject: false });
  await waitFor('dockerd in the dind double', async () => ((await cli('version')).exitCode === 0 ? true : undefined), 60_000, 500);
  return cli;
}

/** An SSH key pair of this machine, and `ssh`/`git` commands that use only it. */
export async function sshIdentity(s: PlatformStack, name: string) {
  const dir = await tempDir(`lab-platform-${name}-`);
  const key = join(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}@lab-test`, '-f', key]);
  const pub = (await execa('cat', [`${key}.pub`])).stdout.trim();
  const options = ['-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'];
  const sshCommand = `ssh ${options.join(' ')} -o LogLevel=ERROR`;
  return {
    pub,
    ssh: (...args: string[]) => execa('ssh', [...options, '-o', 'LogLevel=ERROR', `git@${s.ip}`, ...args], { reject: false }),
    git: (args: string[], cwd?: string) =>
      execa('git', ['-c', 'user.name=Lab Test', '-c', 'user.email=lab@example.com', ...args], {
        cwd,
        reject: false,
        env: { GIT_SSH_COMMAND: sshCommand, GIT_TERMINAL_PROMPT: '0' },
      }),
    url: (path: string) => `ssh://git@${s.ip}:22/${path}`,
  };
}

/** The decoded header and payload of a JWT. */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h = '', p = ''] = token.split('.');
  const part = (x: string) => JSON.parse(Buffer.from(x, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: part(h), payload: part(p) };
}
