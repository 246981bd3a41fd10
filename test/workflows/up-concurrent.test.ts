import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureLab, fixtureLab, fixtureSuite } from '../helpers/fixture-lab.js';
import { instanceRunners, OutputLog, readSecrets } from '../helpers/gitlab.js';
import { tempDir } from '../helpers/tmp.js';

const run = await fixtureSuite();

/**
 * Two `lab up` started together in one empty lab folder. The lab's lock makes one wait
 * for the other: the stack ends up, with exactly one runner, and the second run either
 * succeeds after the first or fails with the lock's message. The CA is minted once.
 */
describe.runIf(run)('two lab up at once in one folder', () => {
  let lab: FixtureLab;
  const log = new OutputLog();
  const up = () => log.lab(['up', '--pull', 'never', '--timeout', '90s'], { cwd: lab.dir });

  beforeAll(async () => {
    lab = await fixtureLab(tempDir, { prefix: 'cc', readyAfterMs: 300 });
  });
  afterAll(async () => {
    await log.lab(['destroy', '--yes'], { cwd: lab.dir });
    await lab.purge();
  });

  it('end with the stack up, one runner, and the second run waiting or refused with the lock message', async () => {
    const [a, b] = await Promise.all([up(), up()]);
    const results = [a, b].sort((x, y) => x.exitCode - y.exitCode);
    const [first, second] = results;
    expect(first?.exitCode, first?.all).toBe(0);
    if (second?.exitCode !== 0) {
      expect(second?.exitCode, second?.all).toBe(1);
      expect(second?.stderr).toMatch(
        /lab: error: another lab command is changing this lab: `lab up` \(pid \d+\) has held .*\.lab\/lock since/,
      );
      expect(second?.stderr).not.toContain('already exists; lab will not overwrite it');
    }
    // The one that waited said so.
    expect(`${a.stderr}${b.stderr}`).toMatch(/waiting for `lab up` \(pid \d+\) to finish with this lab/);

    const s = await readSecrets(lab.dir);
    const runners = await instanceRunners(lab, s.admin.token);
    expect(runners.filter((r) => r.description === `lab:${lab.name}`).map((r) => r.id)).toEqual([s.runner.id]);

    // One CA: the leaf and the containers' copy are both from the CA in the folder.
    const ca = await readFile(join(lab.dir, 'certs', 'ca', 'rootCA.pem'), 'utf8');
    expect(await readFile(join(lab.dir, 'certs', 'tls', 'ca.pem'), 'utf8')).toBe(ca);
    const before = await stat(join(lab.dir, 'certs', 'ca', 'rootCA-key.pem'));

    const third = await up();
    expect(third.exitCode, third.all).toBe(0);
    const after = await stat(join(lab.dir, 'certs', 'ca', 'rootCA-key.pem'));
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });
});
