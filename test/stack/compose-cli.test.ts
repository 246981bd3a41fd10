import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runLab } from '../helpers/cli.js';
import { GOLDEN_DIR } from '../helpers/stack.js';
import { tempDir } from '../helpers/tmp.js';
import { requireTool } from '../helpers/tools.js';

// Compose itself accepts the files as one project (the v2 plugin comes from
// scripts/test-deps.sh; beside it, schemas.test.ts validates them against compose-spec.json).
describe.each([
  ['default', ''],
  ['custom', readFileSync(join(GOLDEN_DIR, 'custom.lab.yml'), 'utf8')],
])('docker compose config on the %s lab', (_name, labYml) => {
  it('accepts the files as one project with the lab names', async () => {
    await requireTool('docker compose');
    const dir = await tempDir();
    if (labYml) await writeFile(join(dir, 'lab.yml'), labYml);
    expect((await runLab(['render'], { cwd: dir })).exitCode).toBe(0);
    const result = await execa(
      'docker',
      ['compose', '-f', 'compose/traefik.yml', '-f', 'compose/gitlab.yml', '-f', 'compose/runner.yml', 'config', '--format', 'yaml'],
      { cwd: dir, reject: false },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const project = parse(result.stdout) as { name: string; services: Record<string, { environment?: Record<string, string> }> };
    expect(Object.keys(project.services).sort()).toEqual(['gitlab', 'runner', 'traefik']);
    // Compose un-escapes `$$`, so GitLab receives the Ruby exactly as lab wrote it.
    expect(project.services.gitlab?.environment?.GITLAB_OMNIBUS_CONFIG).toContain("external_url 'https://");
    if (labYml.includes('$USER')) expect(project.services.gitlab?.environment?.GITLAB_OMNIBUS_CONFIG).toContain('$USER');
  });
});
