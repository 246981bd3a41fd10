// What the pipeline proofs change on this machine, and its byte-exact undoing: /etc/hosts
// (lab's block from `lab hosts --write`, and lines of the test's own) and /etc/docker
// (`lab trust --docker` writes certs.d/<registry>/ca.crt). This machine's dockerd is the
// engine host's daemon of `runner.docker: socket`, and the Docker client the tests pull with.
//
// No vitest import here: the bench uses it too.
import { existsSync } from 'node:fs';
import { readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { FixtureLab } from './fixture-lab.js';
import { snapshotTree } from './tree.js';

const HOSTS = '/etc/hosts';
const DOCKER_ETC = '/etc/docker';

/**
 * dockerd resolves names with Go's resolver, which re-reads /etc/hosts at most every 5 s
 * (net/hosts.go, cacheMaxAge): after an edit, wait that out.
 */
export const daemonSeesHosts = () => new Promise((resolve) => setTimeout(resolve, 6000));

export class HostWiring {
  private readonly lines: string[] = [];

  private constructor(
    readonly hostsBefore: Buffer,
    readonly dockerBefore: string,
    private readonly certsDBefore: boolean,
  ) {}

  static async snapshot(): Promise<HostWiring> {
    return new HostWiring(await readFile(HOSTS), await snapshotTree(DOCKER_ETC), existsSync(join(DOCKER_ETC, 'certs.d')));
  }

  /**
   * `lab hosts --write --target proxy`: the lab's names go to the proxy's address on the lab
   * network, which is not loopback, so dockerd verifies the registry's certificate (it skips
   * that for registries on 127.0.0.0/8, its default insecure range).
   */
  async mapToProxy(lab: FixtureLab): Promise<void> {
    const r = await lab.lab(['hosts', '--write', '--target', 'proxy']);
    if (r.exitCode !== 0) throw new Error(`lab hosts --write failed:\n${r.all}`);
    await daemonSeesHosts();
    const seen = await execa('getent', ['hosts', lab.hosts.registry], { reject: false });
    if (seen.stdout.split(/\s+/)[0] !== lab.stack.proxyIp)
      throw new Error(
        `${lab.hosts.registry} does not resolve to the proxy (${lab.stack.proxyIp}) after lab hosts --write: "${seen.stdout}"`,
      );
  }

  /** Appends `<address> <name>` to /etc/hosts, for a name lab does not manage (a builder). */
  async addHost(address: string, name: string): Promise<void> {
    const line = `${address} ${name}\n`;
    const text = await readFile(HOSTS, 'utf8');
    await writeFile(HOSTS, `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${line}`);
    this.lines.push(line);
  }

  /**
   * Undoes it all, whatever a test left: removes the test's own lines, the lab's certs.d folder
   * for `registry` and an empty certs.d that was not there before (lab's own `--remove` and
   * `--uninstall` run first, in PipelineLab.close).
   */
  async restore(registry: string | undefined): Promise<void> {
    let text = await readFile(HOSTS, 'utf8');
    for (const line of this.lines) text = text.replace(line, '');
    await writeFile(HOSTS, text);
    if (!(await readFile(HOSTS)).equals(this.hostsBefore)) await writeFile(HOSTS, this.hostsBefore);
    const stray = join(DOCKER_ETC, 'certs.d', registry ?? 'none');
    if (registry && existsSync(stray)) await rm(stray, { recursive: true, force: true });
    if (!this.certsDBefore) await rmdir(join(DOCKER_ETC, 'certs.d')).catch(() => undefined);
  }

  /** Whether /etc/hosts and /etc/docker hold their bytes from before. */
  async unchanged(): Promise<{ hosts: boolean; docker: boolean }> {
    return { hosts: (await readFile(HOSTS)).equals(this.hostsBefore), docker: (await snapshotTree(DOCKER_ETC)) === this.dockerBefore };
  }
}
