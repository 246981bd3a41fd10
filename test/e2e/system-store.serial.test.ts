import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorJson, statuses } from '../helpers/doctor.js';
import { fixtureLab, fixtureSuite, type FixtureLab } from '../helpers/fixture-lab.js';
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

const ANCHORS = '/usr/local/share/ca-certificates';
const CERTS = '/etc/ssl/certs';
const BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const JAVA_CACERTS = '/etc/ssl/certs/java/cacerts';
const debianRoot = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/sbin/update-ca-certificates');
const run = await fixtureSuite({ when: debianRoot });

/** /etc/ssl/certs by name → content: update-ca-certificates may swap a file for a link to the same bytes. */
async function resolvedCerts(): Promise<string> {
  const { stdout } = await execa('sh', ['-c', `cd ${CERTS} && for f in *; do [ -d "$f" ] || printf '%s %s\\n' "$f" "$(sha256sum < "$f" | cut -c1-16)"; done`]);
  return stdout;
}

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

async function readOptional(path: string): Promise<Buffer | undefined> {
  return readFile(path).catch(() => undefined);
}

describe.runIf(run)('system store e2e: curl without --cacert against the running lab', () => {
  let lab: FixtureLab;
  let anchors: string;
  let certs: string;
  let bundle: Buffer | undefined;
  let javaCacerts: Buffer | undefined;
  let javaBefore: string | undefined;
  let url: string;

  /** curl through the system trust only, the lab host sent to the published port. */
  const curl = async () => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/proxy|curl_ca_bundle|ssl_cert/i.test(k)) env[k] = v;
    const r = await execa('curl', ['-q', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--noproxy', '*', '--max-time', '10', '--resolve', `${lab.hosts.gitlab}:${lab.ports.https}:127.0.0.1`, url], {
      reject: false,
      env,
      extendEnv: false,
    });
    return { exitCode: r.exitCode ?? -1, http: r.stdout.trim(), stderr: r.stderr };
  };

  beforeAll(async () => {
    anchors = await snapshotTree(ANCHORS);
    certs = await resolvedCerts();
    bundle = await readOptional(BUNDLE);
    javaCacerts = await readOptional(JAVA_CACERTS);
    if (javaCacerts) {
      javaBefore = await javaEntries(JAVA_CACERTS);
      expect(javaBefore?.split('\n').length, 'keytool lists the Java keystore').toBeGreaterThan(10);
    }
    lab = await fixtureLab(tempDir, { prefix: 'ss', uniqueDomain: true });
    url = `https://${lab.hosts.gitlab}:${lab.ports.https}/-/readiness`;
    const up = await lab.up();
    expect(up.exitCode, up.all).toBe(0);
  });

  afterAll(async () => {
    if (lab) {
      await lab.lab(['trust', '--uninstall']);
      // Whatever failed above, the machine's store ends as it began.
      const leftovers = (await readFile(`${lab.dir}/.lab/state.json`, 'utf8').catch(() => '')).match(/\/usr\/local\/share\/ca-certificates\/[^"]+/g) ?? [];
      for (const file of leftovers) await rm(file, { force: true });
      if (leftovers.length > 0) await execa('update-ca-certificates', ['--fresh'], { reject: false });
      await lab.lab(['destroy', '--yes']);
      await lab.purge();
    }
    if (javaCacerts && !(await readOptional(JAVA_CACERTS))?.equals(javaCacerts)) await writeFile(JAVA_CACERTS, javaCacerts);
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
    expect((await readOptional(BUNDLE))?.equals(bundle ?? Buffer.alloc(0)), 'the CA bundle has its original bytes').toBe(true);
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
