import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import { allowedKeys } from '../../src/config/schema.js';
import { configTemplate } from '../../src/config/template.js';
import { runLab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** The lines of one top-level section of a lab.yml (its key line up to the next top-level key). */
function sectionLines(text: string, section: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${section}:`));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^[a-z]/i.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Uncomments `# key: value` lines whose key the schema knows in that section. */
function uncommentDefaults(text: string): string {
  let section = '';
  return text
    .split('\n')
    .map((line) => {
      const top = /^([a-zA-Z]+):/.exec(line);
      if (top) section = top[1] ?? '';
      const m = /^(\s+)# (\w+): (.*)$/.exec(line);
      // extraConfig and runner.remote are shown as examples, not as defaults.
      const example = m?.[2] === 'extraConfig' || (section === 'runner' && m?.[2] === 'remote');
      if (m && allowedKeys([section]).includes(m[2] ?? '') && !example) return `${m[1]}${m[2]}: ${m[3]}`;
      return line;
    })
    .join('\n');
}

describe('lab init', () => {
  it('writes a commented lab.yml that parses to exactly the defaults', async () => {
    const dir = await tempDir();
    const run = await runLab(['init'], { cwd: dir });
    expect(run.exitCode, run.all).toBe(0);
    expect(run.stdout).toContain('created');
    const text = await readFile(join(dir, 'lab.yml'), 'utf8');
    expect(text.split('\n').filter((l) => l.trimStart().startsWith('#')).length).toBeGreaterThan(20);
    expect(parseConfig(text)).toEqual(parseConfig(''));
  });

  it('shows every schema key, with defaults that are the real ones', () => {
    const text = configTemplate();
    for (const section of allowedKeys([])) {
      expect(text, section).toMatch(new RegExp(`^${section}:`, 'm'));
      for (const key of allowedKeys([section])) {
        expect(
          sectionLines(text, section).some((l) => new RegExp(`^\\s+(# )?${key}:`).test(l)),
          `${section}.${key}`,
        ).toBe(true);
      }
    }
    // The commented-out values are the derived defaults: pinning them changes nothing.
    const pinned = uncommentDefaults(text);
    expect(pinned).not.toBe(text);
    expect(parseConfig(pinned).hosts.gitlab).toBe('gitlab.test');
    expect(buildModel(parseConfig(pinned), { dir: '/lab' })).toEqual(buildModel(parseConfig(''), { dir: '/lab' }));
  });

  it('respects --domain, and hosts follow the domain', async () => {
    const dir = await tempDir();
    expect((await runLab(['init', '--domain', 'lab.internal'], { cwd: dir })).exitCode).toBe(0);
    const text = await readFile(join(dir, 'lab.yml'), 'utf8');
    const model = buildModel(parseConfig(text), { dir });
    expect(model.domain).toBe('lab.internal');
    expect(model.hosts).toEqual({
      gitlab: 'gitlab.lab.internal',
      registry: 'registry.lab.internal',
      traefik: 'traefik.lab.internal',
      pages: undefined,
    });
    expect(model.certs.permittedDomains).toContain('lab.internal');
    expect(text).toContain('# gitlab: gitlab.lab.internal');
  });

  it('refuses an invalid --domain and writes nothing', async () => {
    const dir = await tempDir();
    const run = await runLab(['init', '--domain', 'Not A Domain'], { cwd: dir });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/^lab: error: --domain "Not A Domain" is not a valid domain$/m);
    expect(await readdir(dir)).toEqual([]);
  });

  it('never overwrites lab.yml without --force', async () => {
    const dir = await tempDir();
    const mine = 'name: mine\n';
    await writeFile(join(dir, 'lab.yml'), mine);
    const refused = await runLab(['init'], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/^lab: error: .*lab\.yml already exists$/m);
    expect(refused.stderr).toMatch(/^hint: .*--force/m);
    expect(await readFile(join(dir, 'lab.yml'), 'utf8')).toBe(mine);

    const forced = await runLab(['init', '--force', '--domain', 'example.test'], { cwd: dir });
    expect(forced.exitCode, forced.all).toBe(0);
    expect(parseConfig(await readFile(join(dir, 'lab.yml'), 'utf8')).domain).toBe('example.test');
  });

  it('writes a lab.yml that renders the same files as no lab.yml at all', async () => {
    const plain = await tempDir();
    const initialised = await tempDir();
    expect((await runLab(['init'], { cwd: initialised })).exitCode).toBe(0);
    expect((await runLab(['render'], { cwd: plain })).exitCode).toBe(0);
    expect((await runLab(['render'], { cwd: initialised })).exitCode).toBe(0);
    for (const f of [
      'compose/traefik.yml',
      'compose/gitlab.yml',
      'compose/runner.yml',
      'compose/traefik/traefik.yml',
      'compose/traefik/dynamic/lab.yml',
    ]) {
      expect(await readFile(join(initialised, f), 'utf8'), f).toBe(await readFile(join(plain, f), 'utf8'));
    }
  });
});
