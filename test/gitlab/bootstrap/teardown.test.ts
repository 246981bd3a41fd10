import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, inspectContainer } from '../../helpers/docker.js';
import { type FixtureLab, fixtureLab, fixtureSuite } from '../../helpers/fixture-lab.js';
import { OutputLog, readSecrets, secretPath } from '../../helpers/gitlab.js';
import { tempDir } from '../../helpers/tmp.js';

const run = await fixtureSuite();

describe.runIf(run)('the bootstrap at the edges: destroy deletes the runner, a GitLab that never gets ready, a lost password file', () => {
  const labs: FixtureLab[] = [];
  const log = new OutputLog();
  afterAll(async () => {
    for (const lab of labs) {
      await log.lab(['destroy', '--yes'], { cwd: lab.dir });
      await lab.purge();
    }
  });

  it('lab destroy --yes deletes the runner in GitLab before it removes the containers', async () => {
    const lab = await fixtureLab(tempDir, { prefix: 'd', readyAfterMs: 300 });
    labs.push(lab);
    const up = await log.lab(['up', '--pull', 'never', '--timeout', '60s'], { cwd: lab.dir });
    expect(up.exitCode, up.all).toBe(0);
    const { runner, admin, password } = await readSecrets(lab.dir);
    const destroy = await log.lab(['destroy', '--yes'], { cwd: lab.dir });
    expect(destroy.exitCode, destroy.all).toBe(0);
    const lines = destroy.stdout.split('\n');
    const deleted = lines.findIndex((l) => l.includes(`deleted runner #${runner.id} (lab:${lab.name})`));
    const firstRemoval = lines.findIndex((l) => l.startsWith('removed container'));
    expect(deleted, destroy.stdout).toBeGreaterThanOrEqual(0);
    expect(firstRemoval).toBeGreaterThan(deleted);
    expect(await inspectContainer(`${lab.name}-gitlab-1`)).toBeUndefined();
    for (const secret of [runner.token, admin.token, password]) expect(log.leaks(secret), 'a secret was printed').toEqual([]);
  });

  it('a GitLab that never becomes ready fails lab up with the timeout, its log lines and exit code 1', async () => {
    const lab = await fixtureLab(tempDir, { prefix: 'n', readyAfterMs: -1 });
    labs.push(lab);
    const up = await log.lab(['up', '--pull', 'never', '--timeout', '5s'], { cwd: lab.dir });
    expect(up.exitCode, up.all).toBe(1);
    expect(up.stderr).toMatch(/lab: error: gitlab did not become ready within 5\.0s/);
    expect(up.stderr).toMatch(new RegExp(`last \\d+ log lines of ${lab.name}-gitlab-1:`));
    // The container's own last log lines are shown among the details.
    const logs = await docker(['logs', '--tail', '3', `${lab.name}-gitlab-1`]);
    for (const line of `${logs.stdout}\n${logs.stderr}`.split('\n').filter((l) => l.trim() !== '')) expect(up.stderr).toContain(line);
    // Nothing of the bootstrap ran: no admin token, no runner.
    expect(up.stdout).not.toMatch(/GitLab bootstrap/);
    // And destroy cleans up a lab whose GitLab never answered.
    const destroy = await log.lab(['destroy', '--yes'], { cwd: lab.dir });
    expect(destroy.exitCode, destroy.all).toBe(0);
    expect(await inspectContainer(`${lab.name}-gitlab-1`)).toBeUndefined();
  });

  it('does not invent a new root password when gitlab.env is lost but GitLab already has its data', async () => {
    const lab = await fixtureLab(tempDir, { prefix: 'p', readyAfterMs: 200 });
    labs.push(lab);
    const first = await log.lab(['up', '--pull', 'never', '--skip-runner', '--timeout', '60s'], { cwd: lab.dir });
    expect(first.exitCode, first.all).toBe(0);
    await rm(secretPath(lab.dir, 'gitlab.env'));
    const again = await log.lab(['up', '--pull', 'never', '--skip-runner', '--timeout', '60s'], { cwd: lab.dir });
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stderr).toContain("cannot know root's password");
    expect(again.stderr).toContain(`docker exec -it ${lab.name}-gitlab-1 gitlab-rake "gitlab:password:reset[root]"`);
    // No guessed password was written, so lab credentials says so instead of printing a wrong one.
    expect(existsSync(secretPath(lab.dir, 'gitlab.env'))).toBe(false);
    const creds = await log.lab(['credentials'], { cwd: lab.dir });
    expect(creds.exitCode).toBe(1);
    expect(creds.stderr).toContain('gitlab.env is missing');
  });
});
