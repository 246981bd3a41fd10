import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabModel } from '../../src/config/model.js';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import { canonicalJson, configHash } from '../../src/engine/hash.js';
import { containerSpecOf } from '../../src/stack/desired.js';

const gitlabService = (model: LabModel) => containerSpecOf(model, 'gitlab');
const traefikService = (model: LabModel) => containerSpecOf(model, 'traefik');

import { tempDir } from '../helpers/tmp.js';

async function lab(yml = 'name: h\n') {
  const dir = await tempDir('lab-hash-');
  const model = buildModel(parseConfig(yml), { dir });
  return { dir, model };
}

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });
});

describe('configHash', () => {
  it('is stable for the same spec and files', async () => {
    const { dir, model } = await lab();
    expect(await configHash(gitlabService(model), dir)).toBe(await configHash(gitlabService(model), dir));
  });

  it('changes with the GitLab environment but leaves Traefik alone', async () => {
    const a = await lab('name: h\n');
    const b = buildModel(parseConfig('name: h\ngitlab:\n  environment:\n    FOO: bar\n'), { dir: a.dir });
    expect(await configHash(gitlabService(b), a.dir)).not.toBe(await configHash(gitlabService(a.model), a.dir));
    expect(await configHash(traefikService(b), a.dir)).toBe(await configHash(traefikService(a.model), a.dir));
  });

  it('changes when a restartOn file changes, and not when another file does', async () => {
    const { dir, model } = await lab();
    const spec = traefikService(model);
    await mkdir(join(dir, 'compose', 'traefik', 'dynamic'), { recursive: true });
    await writeFile(join(dir, 'compose', 'traefik', 'traefik.yml'), 'entryPoints: {}\n');
    const before = await configHash(spec, dir);
    // The dynamic config is watched by Traefik, so it must not force a recreate.
    await writeFile(join(dir, 'compose', 'traefik', 'dynamic', 'lab.yml'), 'http: {}\n');
    expect(await configHash(spec, dir)).toBe(before);
    await writeFile(join(dir, 'compose', 'traefik', 'traefik.yml'), 'entryPoints: { web: {} }\n');
    expect(await configHash(spec, dir)).not.toBe(before);
  });

  it('never depends on the env files, which hold secrets', async () => {
    const { dir, model } = await lab();
    const spec = gitlabService(model);
    const before = await configHash(spec, dir);
    await mkdir(join(dir, '.lab', 'secrets'), { recursive: true });
    await writeFile(join(dir, '.lab', 'secrets', 'gitlab.env'), 'GITLAB_ROOT_PASSWORD=first-secret-value\n');
    const withFile = await configHash(spec, dir);
    await writeFile(join(dir, '.lab', 'secrets', 'gitlab.env'), 'GITLAB_ROOT_PASSWORD=another-secret-value\n');
    expect(withFile).toBe(before);
    expect(await configHash(spec, dir)).toBe(before);
  });

  it('changes when the lab folder moves (bind sources are absolute)', async () => {
    const a = await lab();
    const b = await lab();
    expect(await configHash(traefikService(a.model), a.dir)).not.toBe(await configHash(traefikService(b.model), b.dir));
  });
});
