import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import type { EngineEndpoint } from '../../src/engine/endpoint.js';
import { hostsNotes, isLoopbackIp, planHosts, resolveHost, systemHostsFile } from '../../src/host/hosts/entries.js';
import { certutilInstallHint, linuxFamily, parseOsRelease } from '../../src/host/platform.js';
import { describeStep, shellQuote } from '../../src/host/privilege.js';
import { dockerCaFile } from '../../src/host/trust/docker.js';
import { caNickname } from '../../src/host/trust/lab-ca.js';
import { UsageError } from '../../src/util/errors.js';

const model = (yaml: string) => buildModel(parseConfig(yaml), { dir: '/tmp/lab' });
const local: EngineEndpoint = {
  kind: 'unix',
  address: 'unix:///var/run/docker.sock',
  publishedHost: '127.0.0.1',
  local: true,
  context: undefined,
};

describe('os-release', () => {
  it('parses quoted and unquoted values', () => {
    expect(parseOsRelease('NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n# c\nPRETTY_NAME=\'Fedora 40\'\nX="a \\"b\\""')).toEqual({
      NAME: 'Fedora Linux',
      ID: 'fedora',
      VERSION_ID: '40',
      PRETTY_NAME: 'Fedora 40',
      X: 'a "b"',
    });
  });

  it.each([
    ['ID=debian', 'debian'],
    ['ID=ubuntu\nID_LIKE=debian', 'debian'],
    ['ID=linuxmint\nID_LIKE="ubuntu debian"', 'debian'],
    ['ID=fedora', 'fedora'],
    ['ID="rocky"\nID_LIKE="rhel centos fedora"', 'fedora'],
    ['ID=arch', 'arch'],
    ['ID=manjaro\nID_LIKE=arch', 'arch'],
    ['ID="opensuse-tumbleweed"\nID_LIKE="opensuse suse"', 'suse'],
    ['ID=sles', 'suse'],
    ['ID=pureos\nID_LIKE=debian', 'debian'],
    ['ID=alpine', undefined],
  ])('%s → %s', (text, family) => {
    expect(linuxFamily(parseOsRelease(text))).toBe(family);
  });

  it('names the NSS tools package per platform', () => {
    expect(certutilInstallHint({ os: 'linux', family: 'debian' })).toBe('sudo apt install libnss3-tools');
    expect(certutilInstallHint({ os: 'linux', family: 'fedora' })).toBe('sudo dnf install nss-tools');
    expect(certutilInstallHint({ os: 'darwin', family: undefined })).toBe('brew install nss');
  });
});

describe('hosts targets', () => {
  it('knows the system hosts file per OS', () => {
    expect(systemHostsFile('linux')).toBe('/etc/hosts');
    expect(systemHostsFile('win32', { SystemRoot: 'D:\\Win' })).toMatch(/^D:\\Win.System32.drivers.etc.hosts$/);
  });

  it('recognises loopback addresses', () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackIp(ip)).toBe(true);
    for (const ip of ['10.213.47.254', '192.168.1.1', '::2', '128.0.0.1']) expect(isLoopbackIp(ip)).toBe(false);
  });

  it('points published names at the engine host and proxy names at the proxy IP', async () => {
    const m = model('name: x\ndomain: ex.test\n');
    const published = await planHosts(m, local, 'published', 'linux');
    expect(published.entries).toEqual(['gitlab', 'registry', 'traefik'].map((h) => ({ ip: '127.0.0.1', host: `${h}.ex.test` })));
    expect(published.notes.join(' ')).toMatch(/registry\.ex\.test maps to 127\.0\.0\.1.*insecure/);
    const proxy = await planHosts(m, local, 'proxy', 'linux');
    expect(proxy.address).toBe('10.213.47.254');
    expect(proxy.notes).toEqual([]);
  });

  it('resolves a remote engine host name to an address', async () => {
    const remote: EngineEndpoint = { kind: 'ssh', address: 'ssh://me@localhost', publishedHost: 'localhost', local: false, context: 'r' };
    expect((await planHosts(model('{}'), remote, 'published', 'linux')).address).toBe('127.0.0.1');
    const byIp = { ...remote, publishedHost: '192.0.2.7' };
    expect((await planHosts(model('{}'), byIp, 'published', 'linux')).entries[0]?.ip).toBe('192.0.2.7');
  });

  it('refuses --target proxy for a remote engine or outside Linux (usage error)', async () => {
    const remote: EngineEndpoint = { ...local, kind: 'tcp', address: 'tcp://10.0.0.5:2376', publishedHost: '10.0.0.5', local: false };
    await expect(planHosts(model('{}'), remote, 'proxy', 'linux')).rejects.toBeInstanceOf(UsageError);
    await expect(planHosts(model('{}'), local, 'proxy', 'darwin')).rejects.toThrow(/local engine on Linux/);
  });

  it('resolves each lab host through the system resolver and flags loopback', async () => {
    const m = model('domain: nowhere-9c1f.test\nhosts:\n  registry: localhost\n');
    const [gitlab, registry] = await Promise.all([m.hosts.gitlab, m.hosts.registry].map(resolveHost));
    expect(gitlab).toMatchObject({ host: 'gitlab.nowhere-9c1f.test', addresses: [], loopback: false });
    expect(gitlab?.error).toMatch(/ENOTFOUND|EAI_AGAIN/);
    expect(registry).toMatchObject({ host: 'localhost', error: undefined, loopback: true });
    expect(registry?.addresses).toContain('127.0.0.1');
  });

  it('warns that hosts files have no wildcards when Pages is on', () => {
    const m = model('gitlab:\n  pages: true\n');
    expect(hostsNotes(m, [{ ip: '10.0.0.1', host: m.hosts.registry }]).join(' ')).toMatch(/\*\.pages\.test/);
  });
});

describe('names and commands', () => {
  it('names the CA after the lab and the CA fingerprint', () => {
    expect(caNickname('demo', 'abcdef0123456789')).toBe('lab-demo-abcdef01');
  });

  it('puts the https port into the certs.d folder unless it is 443', () => {
    expect(dockerCaFile(model('domain: ex.test\nports:\n  https: 443\n'))).toBe('/etc/docker/certs.d/registry.ex.test/ca.crt');
    expect(dockerCaFile(model('domain: ex.test\nports:\n  https: 8443\n'))).toBe('/etc/docker/certs.d/registry.ex.test:8443/ca.crt');
  });

  it('prints steps as shell lines, with sudo only for privileged steps of a non-root user', () => {
    const user = { isRoot: false, canSudo: true };
    const root = { isRoot: true, canSudo: true };
    const copy = { kind: 'copy', from: '/a b/rootCA.pem', to: '/etc/x.crt', mode: 0o644, privileged: true } as const;
    expect(describeStep(copy, user)).toBe("sudo install -m 0644 '/a b/rootCA.pem' /etc/x.crt");
    expect(describeStep(copy, root)).toBe("install -m 0644 '/a b/rootCA.pem' /etc/x.crt");
    expect(describeStep({ kind: 'exec', argv: ['certutil', '-A'], privileged: false }, user)).toBe('certutil -A');
    expect(describeStep({ kind: 'exec', argv: ['/hook'], input: '-/etc/ssl/certs/x.pem\n', privileged: true }, user)).toBe(
      "printf '%s\\n' -/etc/ssl/certs/x.pem | sudo /hook",
    );
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
