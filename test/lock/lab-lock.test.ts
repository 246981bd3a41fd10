import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_BIN, runLab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Field 22 of /proc/<pid>/stat, as the lock records it. */
function processStart(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

async function writeLock(dir: string, owner: Record<string, unknown>): Promise<string> {
  const file = join(dir, '.lab', 'lock');
  await mkdir(join(dir, '.lab'), { recursive: true });
  await writeFile(file, JSON.stringify({ command: 'up', host: hostname(), startedAt: '2026-12-01T10:00:00.000Z', ...owner }));
  return file;
}

/** A pid that existed a moment ago and does not any more. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid ?? 0;
}

describe('the lab folder lock (commands that change the lab run one at a time)', () => {
  let holder: ChildProcess;
  beforeAll(() => {
    holder = spawn('sleep', ['120']);
  });
  afterAll(() => {
    holder.kill();
  });

  it('a second command waits briefly, says for whom, then fails with exit 1 naming the command and pid', async () => {
    const dir = await tempDir();
    const pid = holder.pid ?? 0;
    const lock = await writeLock(dir, { pid, processStart: processStart(pid) });
    const started = Date.now();
    const r = await runLab(['--dir', dir, 'render'], { env: { LAB_LOCK_WAIT: '1s' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`waiting for \`lab up\` (pid ${pid}) to finish with this lab`);
    expect(r.stderr).toContain(`lab: error: another lab command is changing this lab: \`lab up\` (pid ${pid}) has held ${lock}`);
    expect(r.stderr).toMatch(/hint: Wait for it to finish/);
    // Nothing was rendered, and the lock is still the holder's.
    expect(existsSync(join(dir, 'compose'))).toBe(false);
    expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(pid);
  });

  it('takes over a lock whose process is gone, and releases it when done', async () => {
    const dir = await tempDir();
    const lock = await writeLock(dir, { pid: await deadPid() });
    const r = await runLab(['--dir', dir, 'render'], { env: { LAB_LOCK_WAIT: '1s' } });
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(join(dir, 'compose', 'gitlab.yml'))).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock whose pid now belongs to another process (a reused pid)', async () => {
    const dir = await tempDir();
    await writeLock(dir, { pid: holder.pid, processStart: '1' });
    const r = await runLab(['--dir', dir, 'render'], { env: { LAB_LOCK_WAIT: '1s' } });
    expect(r.exitCode, r.all).toBe(0);
  });

  it('a folder the user may not write: exit 1, naming the lock file, with a hint', async () => {
    const dir = await tempDir();
    await chmod(dir, 0o555);
    // root writes everywhere: then the command runs as nobody, whom the folder shuts out.
    const asRoot = process.getuid?.() === 0;
    const run = asRoot
      ? await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, LAB_BIN, '--dir', dir, 'certs'], {
          env: { NO_COLOR: '1' },
          reject: false,
        })
      : await runLab(['--dir', dir, 'certs']);
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toContain(`lab: error: cannot create the lab folder's lock ${join(dir, '.lab', 'lock')}: permission denied`);
    expect(run.stderr).toMatch(/^hint: Run lab as the user who owns/m);
    expect(run.stderr).not.toContain('bug in lab');
  });

  it('read-only commands take no lock', async () => {
    const dir = await tempDir();
    const pid = holder.pid ?? 0;
    await writeLock(dir, { pid, processStart: processStart(pid) });
    const hosts = await runLab(['--dir', dir, 'hosts'], { env: { LAB_LOCK_WAIT: '1s' } });
    expect(hosts.exitCode, hosts.all).toBe(0);
    expect(hosts.stdout).toContain('gitlab.test');
    const creds = await runLab(['--dir', dir, 'credentials'], { env: { LAB_LOCK_WAIT: '1s' } });
    expect(creds.stderr).toContain('gitlab.env is missing');
    expect(creds.all).not.toContain('waiting for');
  });

  it('two commands started together: one works, the other waits for it and then works too', async () => {
    const dir = await tempDir();
    const [a, b] = await Promise.all([runLab(['--dir', dir, 'render']), runLab(['--dir', dir, 'render'])]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    expect(existsSync(join(dir, '.lab', 'lock'))).toBe(false);
  });
});
