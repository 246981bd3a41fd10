import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { modelOf, renderByPath } from '../helpers/stack.js';

// The repository root is itself a lab folder, and its compose/ is committed so that a
// reader sees what lab runs. It must be exactly the render of the default lab.yml.
// After a renderer change: `lab render` in a scratch folder and copy its compose/ here
// (node dist/cli/main.js render -C /tmp/x && cp -r /tmp/x/compose .).
describe('the committed compose/ folder', () => {
  it('equals a fresh render of the default configuration', async () => {
    const expected = new Map([...renderByPath(modelOf('', REPO_ROOT))].filter(([rel]) => rel.startsWith('compose/')));
    const entries = await readdir(join(REPO_ROOT, 'compose'), { recursive: true, withFileTypes: true });
    const committed = entries
      .filter((e) => e.isFile())
      .map((e) => relative(REPO_ROOT, join(e.parentPath, e.name)))
      .sort();
    expect(committed).toEqual([...expected.keys()].sort());
    for (const [rel, f] of expected) {
      expect(await readFile(join(REPO_ROOT, rel), 'utf8'), `${rel} is stale`).toBe(f.content);
    }
  });

  // A fresh clone only has what git tracks: a rendered file that .gitignore swallows
  // (a bare `lab.yml` pattern matches compose/traefik/dynamic/lab.yml) never reaches CI.
  it('is not ignored by git', async () => {
    const files = [...renderByPath(modelOf('', REPO_ROOT)).keys()].filter((rel) => rel.startsWith('compose/'));
    const check = await execa('git', ['check-ignore', '--no-index', ...files], { cwd: REPO_ROOT, reject: false });
    expect(check.stdout.split('\n').filter(Boolean), 'these files are git-ignored').toEqual([]);
  });
});
