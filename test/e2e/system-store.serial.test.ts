import { readFile, rm } from 'node:fs/promises';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ANCHORS,
  BUNDLE,
  debianRoot,
  JAVA_CACERTS,
  resolvedCerts,
  type StoreSnapshot,
  snapshotDebianStore,
} from '../helpers/debian-store.js';
import { doctorJson, statuses } from '../helpers/doctor.js';
import { type FixtureLab, fixtureLab, fixtureSuite } from '../helpers/fixture-lab.js';
import { curlSystem } from '../helpers/https.js';
import { readOptionalBytes } from '../helpers/snapshot.js';
import { tempDir } from '../helpers/tmp.js';
import { snapshotTree } from '../helpers/tree.js';

/**
 * `lab trust --system` against a running fixture lab, proven with the tool users have:
 * curl without --cacert, through the proxy's published port. Before: curl refuses the
 * certificate; after: it verifies; after --uninstall: it refuses again, and the system
 * store (anchors, /etc/ssl/certs, the bundle) is byte-identical to the start.
 *
 * SERIAL: this file changes the machine's trust store (as test/host/trust-system.serial.test.ts
 * does); run it alone (see the *.serial suffix).
 */

const run = await fixtureSuite({ when: debianRoot });

/** The Java keystore's trusted entries as sorted `alias fingerprint` lines (keytool -list). */
async function javaEntries(path: string): Promise<string | undefined> {
  const r = await execa('keytool', ['-list', '-keystore', path, '-storepass', 'changeit'], { reject: false, env: { LC_ALL: 'C' } });
  if (r.exitCode !== 0) return undefined;
  const entries: string[] = [];
  let alias = '';
  for (const line of r.stdout.split('\n')) {
    const entry = /^(.*), [^,]+, [^,]+, trustedCertEntry,\s*$/.exec(line);
    if (entry?.[1]) alias = entry[1];
    const fp = /^Certificate fingerprint \(SHA-256\): ([0-9A-F:]+)$/.exec(line);
    if (fp?.[1] && alias) entries.push(`${alias} ${fp[1]}`);
  }
  return entries.sort().join('\n');
}

describe.runIf(run)('system store e2e: curl without --cacert against the running lab', () => {
  let lab: FixtureLab;
  let anchors: string;
  let certs: string;
  let bundle: Buffer | undefined;
  let javaBefore: string | undefined;
  let store: StoreSnapshot | undefined;

  /** curl through the system trust only, the lab host sent to the published port. */
  const curl = () => curlSystem(lab.hosts.gitlab, lab.ports.https, '/-/readiness');

  beforeAll(async () => {
    store = await snapshotDebianStore();
    anchors = await snapshotTree(ANCHORS);
    certs = await resolvedCerts();
    bundle = await readOptionalBytes(BUNDLE);
    if (await readOptionalBytes(JAVA_CACERTS)) {
      javaBefore = await javaEntries(JAVA_CACERTS);
      expect(javaBefore?.split('\n').length, 'keytool lists the Java keystore').toBeGreaterThan(10);
    }
    lab = await fixtureLab(tempDir, { prefix: 'ss', uniqueDomain: true });
    const up = await lab.up();
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    if (lab) {
      await lab.lab(['trust', '--uninstall']);
      // Whatever failed above, the machine's store ends as it began.
      const leftovers =
        (await readFile(`${lab.dir}/.lab/state.json`, 'utf8').catch(() => '')).match(/\/usr\/local\/share\/ca-certificates\/[^"]+/g) ?? [];
      for (const file of leftovers) await rm(file, { force: true });
      if (leftovers.length > 0) await execa('update-ca-certificates', ['--fresh'], { reject: false });
      await lab.lab(['destroy', '--yes']);
      await lab.purge();
    }
    await store?.restore();
  });

  it('before: curl refuses the lab certificate (exit 60), and doctor warns with the command to run', async () => {
    const r = await curl();
    expect(r.exitCode, r.stderr).toBe(60);
    expect(r.stderr).toMatch(/SSL certificate problem/);
    const d = await doctorJson(lab.dir);
    expect(d.check('trust.system').status, statuses(d.report)).toBe('warn');
    expect(d.check('trust.system').fix).toBe(`Run \`lab --dir ${lab.dir} trust --system\`.`);
  });

  it('after lab trust --system: curl verifies the lab (HTTP 200), and doctor reports ok', async () => {
    const t = await lab.lab(['trust', '--system']);
    expect(t.exitCode, t.all).toBe(0);
    const r = await curl();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.http).toBe('200');
    const d = await doctorJson(lab.dir);
    expect(d.check('trust.system'), statuses(d.report)).toMatchObject({ status: 'ok', fix: null });
    expect(d.check('trust.system').detail).toMatch(/verified \(HTTP \d{3}\)/);
  });

  it('after lab trust --uninstall: curl refuses again, and the store is byte-identical', async () => {
    const u = await lab.lab(['trust', '--uninstall']);
    expect(u.exitCode, u.all).toBe(0);
    const r = await curl();
    expect(r.exitCode, r.stderr).toBe(60);
    expect(await snapshotTree(ANCHORS)).toBe(anchors);
    expect(await resolvedCerts()).toBe(certs);
    expect((await readOptionalBytes(BUNDLE))?.equals(bundle ?? Buffer.alloc(0)), 'the CA bundle has its original bytes').toBe(true);
    // Debian's ca-certificates-java hook rebuilds the Java keystore on both changes, so its
    // bytes (entry dates) change, and --fresh also brings in local anchors the keystore had
    // missed before (afterAll puts the original bytes back). What must hold: nothing that was
    // trusted is gone, nothing of this lab is left, and anything new was already in the system store.
    if (javaBefore !== undefined) {
      const before = new Set(javaBefore.split('\n'));
      const after = new Set((await javaEntries(JAVA_CACERTS))?.split('\n') ?? []);
      expect([...before].filter((e) => !after.has(e))).toEqual([]);
      const added = [...after].filter((e) => !before.has(e));
      expect(added.filter((e) => e.includes(lab.name))).toEqual([]);
      const systemNames = new Set(certs.split('\n').map((l) => l.split(' ')[0]));
      expect(added.filter((e) => !systemNames.has(e.replace(/^debian:/, '').split(' ')[0] ?? ''))).toEqual([]);
    }
    const d = await doctorJson(lab.dir);
    expect(d.check('trust.system').status).toBe('warn');
  });
});
