import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const DEPCRUISE = join(REPO_ROOT, 'node_modules', '.bin', 'depcruise');

/** Runs the project's dependency rules over a small tree of files, as `npm run lint` runs them over src/. */
async function cruise(files: Record<string, string>) {
  const dir = await tempDir('lab-boundaries-');
  await copyFile(join(REPO_ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return execa(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs'], { cwd: dir, reject: false });
}

describe('the layer rules of src/ (dependency-cruiser, run by npm run lint)', () => {
  it('pass the real tree', async () => {
    const r = await execa(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs'], { cwd: REPO_ROOT, reject: false });
    expect(r.exitCode, r.stdout).toBe(0);
  });

  it.each([
    ['engine-only-docker', 'src/engine/plan.ts', "import '../gitlab/client.js';\n", 'src/gitlab/client.ts'],
    ['cli-is-the-top', 'src/engine/plan.ts', "import '../cli/output.js';\n", 'src/cli/output.ts'],
    ['workflows-are-recipes', 'src/gitlab/client.ts', "import '../workflows/up.js';\n", 'src/workflows/up.ts'],
    ['gitlab-without-engine', 'src/gitlab/client.ts', "import '../engine/plan.js';\n", 'src/engine/plan.ts'],
    ['util-is-a-leaf', 'src/util/time.ts', "import '../config/model.js';\n", 'src/config/model.ts'],
  ])('fail a wrong import (%s)', async (rule, from, text, to) => {
    const r = await cruise({
      [from]: text,
      [to]: 'export {};\n',
      'src/cli/main.ts': `import '../${from.slice(4).replace(/\.ts$/, '.js')}';\n`,
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toContain(`error ${rule}: ${from} → ${to}`);
  });
});
