import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../../helpers/docker.js';
import { type FixtureLab, fixtureLab, fixtureSuite, gitlabApi } from '../../helpers/fixture-lab.js';
import { OutputLog, readSecrets } from '../../helpers/gitlab.js';
import { tempDir } from '../../helpers/tmp.js';

const run = await fixtureSuite();

interface Manager {
  system_id: string;
  contacted_at: string | null;
}

/**
 * GitLab calls a runner `online` while its last contact is under two hours old, so
 * "online" proves nothing on a re-run. lab proves the runner by a contact from the runner
 * itself after lab acted on it, and never speaks for it (no `POST /runners/verify`, which
 * records a contact and, without a system_id, a `<legacy>` runner manager).
 */
describe.runIf(run)('the runner is proven by its own contact', () => {
  let lab: FixtureLab;
  const log = new OutputLog();
  const up = (timeout = '60s') => log.lab(['up', '--pull', 'never', '--timeout', timeout], { cwd: lab.dir });
  const runnerName = () => `${lab.name}-runner-1`;

  beforeAll(async () => {
    lab = await fixtureLab(tempDir, { prefix: 'k', readyAfterMs: 300 });
    const first = await up();
    expect(first.exitCode, first.all).toBe(0);
    // Socket mode: lab up names what the engine host's own daemon lacks for jobs, with the fix.
    expect(first.stderr).toContain("socket mode: jobs use the engine host's Docker daemon");
    expect(first.stderr).toMatch(
      /missing: \/etc\/docker\/certs\.d\/registry\.test:\d+\/ca\.crt does not exist; jobs' docker login fails with "x509: certificate signed by unknown authority"/,
    );
    expect(first.stderr).toMatch(/fix: `lab trust --docker`/);
  });
  afterAll(async () => {
    await log.lab(['destroy', '--yes'], { cwd: lab.dir });
    await lab.purge();
  });

  it("leaves only the runner's own manager in GitLab: lab never verifies on its behalf", async () => {
    const again = await up();
    expect(again.exitCode, again.all).toBe(0);
    expect(again.stdout).toMatch(/runner contact: #\d+ reached GitLab after/);
    const s = await readSecrets(lab.dir);
    const managers = await gitlabApi(lab, 'GET', `/runners/${s.runner.id}/managers`, { token: s.admin.token });
    expect(managers.status).toBe(200);
    const list = managers.body as Manager[];
    expect(list.map((m) => m.system_id)).not.toContain('<legacy>');
    expect(list).toHaveLength(1);
    expect(list[0]?.contacted_at).not.toBeNull();
  });

  it('a runner that cannot reach GitLab fails lab up, although GitLab still calls it online, with the reason from its log', async () => {
    const s = await readSecrets(lab.dir);
    // Cut the runner off, as a broken network would, and stop it: lab up starts it again.
    await docker(['network', 'disconnect', '--force', `${lab.name}-net`, runnerName()]);
    await docker(['stop', '-t', '1', runnerName()]);
    const status = await gitlabApi(lab, 'GET', `/runners/${s.runner.id}`, { token: s.admin.token });
    expect((status.body as { status: string }).status, 'GitLab still reports the old contact').toBe('online');

    const r = await up('15s');
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`GitLab bootstrap failed at "runner contact": runner #${s.runner.id} has not reached GitLab`));
    expect(r.stderr).toMatch(/hint: The runner cannot reach GitLab/);
    // The runner's own log says why: it cannot resolve or reach GitLab without its network.
    expect(r.stderr).toMatch(new RegExp(`last \\d+ log lines of ${runnerName()}:`));
    expect(r.stderr).toMatch(/no such host|connection refused|network is unreachable|i\/o timeout|temporary failure/);
    expect(r.stdout).not.toMatch(/lab ".*" is up/);

    // Reconnected, the same runner makes contact and lab up succeeds.
    await docker(['network', 'connect', `${lab.name}-net`, runnerName()]);
    const healed = await up();
    expect(healed.exitCode, healed.all).toBe(0);
  });
});
