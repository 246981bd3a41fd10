import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureCerts } from '../../src/certs/index.js';
import { loadLab } from '../../src/config/load.js';
import { runLab } from '../helpers/cli.js';
import { requireDocker, uniqueStack } from '../helpers/docker.js';
import { tempDir } from '../helpers/tmp.js';

const enabled = await requireDocker();

async function labWithCerts(caroot?: string) {
  const dir = await tempDir('lab-destroy-');
  const { name } = await uniqueStack('d');
  await writeFile(join(dir, 'lab.yml'), `name: ${name}\n`);
  const { model } = await loadLab({ dir, caroot });
  await ensureCerts(model);
  return model;
}

describe.runIf(enabled)('lab destroy --purge-certs', () => {
  it('deletes certs/tls and a CA that lives inside the lab folder', async () => {
    const model = await labWithCerts();
    const r = await runLab(['destroy', '--yes', '--purge-certs'], { cwd: model.paths.dir });
    expect(r.exitCode, r.all).toBe(0);
    for (const f of [model.paths.leafCert, model.paths.leafKey, model.paths.tlsCa, model.paths.caCert, model.paths.caKey])
      expect(existsSync(f), f).toBe(false);
    expect(existsSync(model.paths.configFile)).toBe(true);
  }, 120_000);

  it('keeps a CA shared from outside the lab folder (LAB_CAROOT)', async () => {
    const shared = await tempDir('lab-shared-ca-');
    const model = await labWithCerts(shared);
    const r = await runLab(['destroy', '--yes', '--purge-certs'], { cwd: model.paths.dir, env: { LAB_CAROOT: shared } });
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(model.paths.leafCert)).toBe(false);
    expect(existsSync(join(shared, 'rootCA.pem'))).toBe(true);
    expect(existsSync(join(shared, 'rootCA-key.pem'))).toBe(true);
    expect(r.stdout).toContain('kept the CA');
  }, 120_000);

  it('keeps certs/ without --purge-certs', async () => {
    const model = await labWithCerts();
    const r = await runLab(['destroy', '--yes'], { cwd: model.paths.dir });
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(model.paths.caCert)).toBe(true);
    expect(existsSync(model.paths.leafCert)).toBe(true);
  }, 120_000);
});
