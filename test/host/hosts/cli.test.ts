import { chmod, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAB_BIN, runLab } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';

const ORIGINAL = '127.0.0.1\tlocalhost\r\n# keep me exactly   \r\n::1 localhost ip6-localhost';

let root: string;
let labA: string;
let labB: string;

async function makeLab(name: string, yaml: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'lab.yml'), yaml);
  return dir;
}

async function hostsFile(content: string, name = `hosts-${Math.random().toString(16).slice(2)}`): Promise<string> {
  const file = join(root, name);
  await writeFile(file, content);
  return file;
}

beforeAll(async () => {
  root = await tempDir('lab-hosts-');
  await chmod(root, 0o755); // the permission test runs lab as nobody, who must read lab.yml
  labA = await makeLab('a', 'name: alpha\ndomain: alpha.test\n');
  labB = await makeLab('b', 'name: beta\ndomain: beta.test\nnetwork:\n  subnet: 10.99.7.0/24\n');
});

describe('lab hosts (print)', () => {
  it('prints one line per lab host, pointing at the published host, with the loopback registry note on stderr', async () => {
    const r = await runLab(['--dir', labA, 'hosts']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['127.0.0.1 gitlab.alpha.test', '127.0.0.1 registry.alpha.test', '127.0.0.1 traefik.alpha.test']);
    expect(r.stderr).toMatch(/registry\.alpha\.test maps to 127\.0\.0\.1.*127\.0\.0\.0\/8.*skips TLS verification/);
  });

  it('--target proxy points at the proxy IP of the lab network and has no loopback note', async () => {
    const r = await runLab(['--dir', labB, 'hosts', '--target', 'proxy']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      '10.99.7.254 gitlab.beta.test',
      '10.99.7.254 registry.beta.test',
      '10.99.7.254 traefik.beta.test',
    ]);
    expect(r.stderr).not.toMatch(/insecure/);
  });

  it('includes the Pages host and explains that wildcards need DNS', async () => {
    const dir = await makeLab('pages', 'name: pg\ngitlab:\n  pages: true\n');
    const r = await runLab(['--dir', dir, 'hosts']);
    expect(r.stdout).toContain('127.0.0.1 pages.test');
    expect(r.stderr).toMatch(/no wildcards.*\*\.pages\.test/);
  });

  it('rejects --write with --remove and an unknown target (exit 2)', async () => {
    const file = await hostsFile(ORIGINAL);
    const both = await runLab(['--dir', labA, 'hosts', '--write', '--remove', '--file', file]);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/^lab: error: --write and --remove/m);
    expect((await runLab(['--dir', labA, 'hosts', '--target', 'nowhere'])).exitCode).toBe(2);
    expect(await readFile(file, 'utf8')).toBe(ORIGINAL);
  });
});

describe('lab hosts --write / --remove', () => {
  it('adds a marked CRLF block, keeps every other byte, and --remove restores the file exactly', async () => {
    const file = await hostsFile(ORIGINAL);
    const w = await runLab(['--dir', labA, 'hosts', '--write', '--file', file]);
    expect(w.exitCode, w.all).toBe(0);
    expect(w.stdout).toMatch(/added the lab "alpha" block/);
    const written = await readFile(file, 'utf8');
    expect(written.startsWith(`${ORIGINAL}\r\n`)).toBe(true);
    expect(written.slice(ORIGINAL.length)).toBe(
      '\r\n# >>> lab alpha (managed by lab; do not edit) >>>\r\n127.0.0.1 gitlab.alpha.test\r\n127.0.0.1 registry.alpha.test\r\n127.0.0.1 traefik.alpha.test\r\n# <<< lab alpha <<<\r\n',
    );
    const r = await runLab(['--dir', labA, 'hosts', '--remove', '--file', file]);
    expect(r.exitCode, r.all).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(ORIGINAL);
    const again = await runLab(['--dir', labA, 'hosts', '--remove', '--file', file]);
    expect(again.stdout).toMatch(/nothing to remove/);
  });

  it('keeps bytes that are not UTF-8 (a legacy code page comment) exactly', async () => {
    // "café" in Latin-1 (0xE9 alone is invalid UTF-8), then the same word in UTF-8.
    const original = Buffer.concat([Buffer.from('127.0.0.1 localhost # caf'), Buffer.from([0xe9]), Buffer.from('\n10.0.0.1 nas # café\n')]);
    const file = join(root, `hosts-bytes-${Math.random().toString(16).slice(2)}`);
    await writeFile(file, original);
    expect((await runLab(['--dir', labA, 'hosts', '--write', '--file', file])).exitCode).toBe(0);
    const written = await readFile(file);
    expect(written.subarray(0, original.length).equals(original)).toBe(true);
    expect(written.toString('latin1')).toContain('127.0.0.1 gitlab.alpha.test');
    expect((await runLab(['--dir', labA, 'hosts', '--remove', '--file', file])).exitCode).toBe(0);
    expect((await readFile(file)).equals(original)).toBe(true);
  });

  it('is idempotent: a second --write leaves the file untouched (mtime and inode)', async () => {
    const file = await hostsFile('127.0.0.1 localhost\n');
    expect((await runLab(['--dir', labA, 'hosts', '--write', '--file', file])).exitCode).toBe(0);
    const past = new Date('2020-01-02T03:04:05Z');
    await utimes(file, past, past);
    const before = await stat(file);
    const r = await runLab(['--dir', labA, 'hosts', '--write', '--file', file]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^unchanged /);
    const after = await stat(file);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  it('replaces its own block when the target changes and keeps the file mode', async () => {
    const file = await hostsFile('127.0.0.1 localhost\n');
    await chmod(file, 0o640);
    await runLab(['--dir', labB, 'hosts', '--write', '--file', file]);
    const r = await runLab(['--dir', labB, 'hosts', '--write', '--target', 'proxy', '--file', file]);
    expect(r.stdout).toMatch(/updated the lab "beta" block .*10\.99\.7\.254/);
    const text = await readFile(file, 'utf8');
    expect(text.match(/# >>> lab beta/g)).toHaveLength(1);
    expect(text).toContain('10.99.7.254 registry.beta.test\n');
    expect(text).not.toContain('127.0.0.1 gitlab.beta.test');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });

  it("leaves another lab's block alone; removing both gives the original bytes back", async () => {
    const original = '127.0.0.1 localhost\n10.0.0.1 nas.home\n';
    const file = await hostsFile(original);
    await runLab(['--dir', labA, 'hosts', '--write', '--file', file]);
    await runLab(['--dir', labB, 'hosts', '--write', '--target', 'proxy', '--file', file]);
    const both = await readFile(file, 'utf8');
    const betaBlock = both.slice(both.indexOf('# >>> lab beta'));
    await runLab(['--dir', labA, 'hosts', '--remove', '--file', file]);
    const onlyBeta = await readFile(file, 'utf8');
    expect(onlyBeta).toBe(`${original}\n${betaBlock}`);
    expect(onlyBeta).not.toContain('alpha');
    await runLab(['--dir', labB, 'hosts', '--remove', '--file', file]);
    expect(await readFile(file, 'utf8')).toBe(original);
  });

  it('creates a missing hosts file', async () => {
    const file = join(root, 'new-hosts');
    const r = await runLab(['--dir', labA, 'hosts', '--write', '--file', file]);
    expect(r.exitCode).toBe(0);
    expect(await readFile(file, 'utf8')).toMatch(/^# >>> lab alpha .*\n127\.0\.0\.1 gitlab\.alpha\.test\n/);
  });

  it('refuses to edit around broken markers (exit 1) and leaves the file alone', async () => {
    const broken = '127.0.0.1 localhost\n# >>> lab alpha (managed by lab; do not edit) >>>\n127.0.0.1 gitlab.alpha.test\n';
    const file = await hostsFile(broken);
    const r = await runLab(['--dir', labA, 'hosts', '--write', '--file', file]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no end marker/);
    expect(await readFile(file, 'utf8')).toBe(broken);
  });

  it('without permission: exit 1, file unchanged, and the exact sudo command with absolute paths', async () => {
    const file = await hostsFile('127.0.0.1 localhost\n');
    await chmod(file, 0o644); // owned by root: nobody may read but not write it
    const r = await execa(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        LAB_BIN,
        '--dir',
        labB,
        'hosts',
        '--write',
        '--target',
        'proxy',
        '--file',
        file,
      ],
      {
        reject: false,
        env: { NO_COLOR: '1', HOME: root },
        cwd: '/',
      },
    );
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^lab: error: permission denied: cannot write .*\(EACCES\)/m);
    const hint = /^hint: Run it with sudo: (.*)$/m.exec(r.stderr)?.[1];
    expect(hint).toBe(`sudo ${process.execPath} ${LAB_BIN} --dir ${labB} hosts --write --target proxy --file ${file}`);
    expect(await readFile(file, 'utf8')).toBe('127.0.0.1 localhost\n');
    // The printed command works as printed (we are root already, so without the sudo word).
    const [cmd, ...args] = (hint ?? '').replace(/^sudo /, '').split(' ');
    const ran = await execa(cmd ?? '', args, { reject: false });
    expect(ran.exitCode, ran.stderr).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('10.99.7.254 gitlab.beta.test');
  });
});

describe('lab hosts on a bind-mounted hosts file (as in containers)', () => {
  it('falls back to an in-place rewrite when rename fails with EBUSY', async () => {
    const probe = await execa('unshare', ['-m', 'true'], { reject: false });
    if (probe.exitCode !== 0) return; // no mount namespaces here: nothing to simulate
    const source = await hostsFile('127.0.0.1 localhost\n', 'bind-source');
    const mountpoint = await hostsFile('placeholder\n', 'bind-target');
    const script = `mount --bind "$1" "$2" && exec "$3" "$4" --dir "$5" hosts --write --file "$2"`;
    const r = await execa('unshare', ['-m', 'sh', '-c', script, 'sh', source, mountpoint, process.execPath, LAB_BIN, labA], {
      reject: false,
      env: { NO_COLOR: '1' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    // The write went through the mount into the source file's inode.
    expect(await readFile(source, 'utf8')).toMatch(/^127\.0\.0\.1 localhost\n\n# >>> lab alpha /);
    expect(await readFile(mountpoint, 'utf8')).toBe('placeholder\n');
  });
});
