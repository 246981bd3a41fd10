import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken, type FixtureLab, fixtureLab, fixtureSuite, gitlabApi } from '../../helpers/fixture-lab.js';
import { tempDir } from '../../helpers/tmp.js';
import { requireTool } from '../../helpers/tools.js';

const run = await fixtureSuite();

/**
 * Git over SSH through the proxy: clone URLs say `ssh://git@gitlab.<domain>:<ports.ssh>/…`,
 * and gitlab.<domain> points at Traefik, whose TCP route on that port forwards to GitLab's
 * sshd. Proven with the real ssh and git clients and a key added through the API.
 */
describe.runIf(run)('Git over SSH through the proxy', () => {
  let lab: FixtureLab;
  let dir: string;
  let ssh: string;

  beforeAll(async () => {
    await requireTool('ssh');
    lab = await fixtureLab(tempDir, { prefix: 'sh' });
    const up = await lab.up();
    expect(up.exitCode, up.all).toBe(0);
    dir = await tempDir('lab-ssh-');
    const key = join(dir, 'id_ed25519');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lab-test', '-f', key]);
    const token = await createAdminToken(lab);
    const added = await gitlabApi(lab, 'POST', '/user/keys', {
      token,
      json: { title: 'lab test', key: (await readFile(`${key}.pub`, 'utf8')).trim() },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const project = await gitlabApi(lab, 'POST', '/projects', { token, json: { name: 'demo', initialize_with_readme: true } });
    expect(project.status).toBe(201);
    // The lab host name, sent to the engine's published port: what a hosts entry would do.
    ssh = `ssh -i ${key} -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o HostName=127.0.0.1`;
  });
  afterAll(async () => {
    await lab?.lab(['destroy', '--yes']);
    await lab?.purge();
  });

  const git = (args: string[], cwd: string) =>
    execa('git', args, { cwd, env: { GIT_SSH_COMMAND: ssh, GIT_TERMINAL_PROMPT: '0' }, reject: false, all: true });
  const url = () => `ssh://git@${lab.hosts.gitlab}:${lab.ports.ssh}/root/demo.git`;

  it('clones, pushes and clones again with a key added through the API', async () => {
    const clone = await git(['clone', url(), 'a'], dir);
    expect(clone.exitCode, clone.all).toBe(0);
    const a = join(dir, 'a');
    await writeFile(join(a, 'hello.txt'), 'over ssh\n');
    await git(['add', 'hello.txt'], a);
    const commit = await git(['-c', 'user.name=lab', '-c', 'user.email=lab@example.test', 'commit', '-m', 'over ssh'], a);
    expect(commit.exitCode, commit.all).toBe(0);
    const push = await git(['push', 'origin', 'HEAD'], a);
    expect(push.exitCode, push.all).toBe(0);
    const again = await git(['clone', url(), 'b'], dir);
    expect(again.exitCode, again.all).toBe(0);
    expect(await readFile(join(dir, 'b', 'hello.txt'), 'utf8')).toBe('over ssh\n');
  });

  it('refuses a key GitLab does not know', async () => {
    const other = join(dir, 'other');
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const r = await execa('git', ['ls-remote', url()], {
      env: { GIT_SSH_COMMAND: ssh.replace(join(dir, 'id_ed25519'), other), GIT_TERMINAL_PROMPT: '0' },
      reject: false,
      all: true,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.all).toContain('Permission denied (publickey)');
  });
});
