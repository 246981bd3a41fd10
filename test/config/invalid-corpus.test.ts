import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runLab } from '../helpers/cli.js';

// Each broken lab.yml goes through the real CLI (`lab render`, a separate process run in
// the lab folder). Every case must exit 2, name file:line:col and the field in the one
// error line, and leave the folder exactly as it was: lab.yml and nothing else.

interface Case {
  name: string;
  yaml: string;
  /** A fragment of the `lab: error:` line, starting with file:line:col. */
  error: string;
  /** A fragment of the `hint:` line, where the hint matters (typos). */
  hint?: string;
}

// 249 characters: valid as a name, but gitlab.<it> exceeds DNS's 253.
const LONG_DOMAIN = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(57)].join('.');

const CASES: Case[] = [
  // YAML syntax
  {
    name: 'tab indentation',
    yaml: 'gitlab:\n\tpages: true\n',
    error: 'lab.yml:2:1: YAML syntax error: Tabs are not allowed as indentation',
    hint: 'indentation must use spaces',
  },
  { name: 'unclosed quote', yaml: 'domain: "test\n', error: 'lab.yml:2:1: YAML syntax error: Missing closing "quote' },
  { name: 'duplicate key', yaml: 'name: a\nname: b\n', error: 'lab.yml:2:1: YAML syntax error: Map keys must be unique' },
  {
    name: 'unterminated flow list',
    yaml: 'runner:\n  tags: [a, b\n',
    error: 'lab.yml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
  },
  { name: 'missing space after colon', yaml: 'name:lab\n', error: 'lab.yml:1:1: the top level must be a mapping' },
  { name: 'a list at the top level', yaml: '- a\n- b\n', error: 'lab.yml:1:1: the top level must be a mapping' },
  {
    // "Billion laughs": each level multiplies the aliases of the one before.
    name: 'a YAML alias bomb',
    yaml: [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
      '',
    ].join('\n'),
    error: 'lab.yml:2:8: YAML aliases expand too far',
    hint: 'lab.yml needs no anchors',
  },
  {
    name: 'a reserved label',
    yaml: 'labels:\n  dev.lab.stack: other\n',
    error: 'lab.yml:2:3: labels.dev.lab.stack: "dev.lab.stack" is reserved',
  },
  { name: 'a label key with capitals', yaml: 'labels:\n  Team: x\n', error: 'lab.yml:2:3: labels.Team: "Team" is not a label key' },
  {
    name: 'a label value that is no string',
    yaml: 'labels:\n  com.example.n: 3\n',
    error: 'lab.yml:2:18: labels.com.example.n: must be a string',
  },
  // typos and unknown keys
  {
    name: 'top-level typo',
    yaml: 'domian: example\n',
    error: 'lab.yml:1:1: domian: unknown key "domian" (did you mean "domain"?)',
    hint: 'Rename "domian" to "domain".',
  },
  {
    name: 'nested typo',
    yaml: 'hosts:\n  regstry: r.test\n',
    error: 'lab.yml:2:3: hosts.regstry: unknown key "regstry" in hosts (did you mean "registry"?)',
    hint: 'Rename "regstry" to "registry".',
  },
  {
    name: 'snake_case typo',
    yaml: 'gitlab:\n  extra_config: x\n',
    error: 'lab.yml:2:3: gitlab.extra_config: unknown key "extra_config" in gitlab (did you mean "extraConfig"?)',
  },
  {
    name: 'unknown top-level key',
    yaml: 'name: lab\nkubernetes: true\n',
    error: 'lab.yml:2:1: kubernetes: unknown key "kubernetes"',
    hint: 'Allowed keys here: name, domain, hosts',
  },
  // wrong types
  { name: 'port as a string', yaml: 'ports:\n  ssh: "22"\n', error: 'lab.yml:2:8: ports.ssh: must be a number, not string "22"' },
  { name: 'port not whole', yaml: 'ports:\n  http: 80.5\n', error: 'lab.yml:2:9: ports.http: must be a whole number, not number 80.5' },
  { name: 'boolean as yes', yaml: 'gitlab:\n  pages: yes\n', error: 'lab.yml:2:10: gitlab.pages: must be a boolean, not string "yes"' },
  { name: 'list as a string', yaml: 'runner:\n  tags: lab\n', error: 'lab.yml:2:9: runner.tags: must be a list, not string "lab"' },
  {
    name: 'section as a string',
    yaml: 'network: 10.0.0.0/24\n',
    error: 'lab.yml:1:10: network: must be a mapping, not string "10.0.0.0/24"',
  },
  {
    name: 'extraConfig as a number',
    yaml: 'gitlab:\n  extraConfig: 5\n',
    error: 'lab.yml:2:16: gitlab.extraConfig: must be a string of Ruby lines or a list of them',
  },
  // network
  {
    name: 'CIDR prefix out of range',
    yaml: 'network:\n  subnet: 10.213.47.0/33\n',
    error: 'lab.yml:2:11: network.subnet: must be an IPv4 CIDR with zero host bits',
  },
  {
    name: 'CIDR with host bits',
    yaml: 'network:\n  subnet: 10.213.47.5/24\n',
    error: 'lab.yml:2:11: network.subnet: must be an IPv4 CIDR with zero host bits',
  },
  {
    name: 'subnet too small',
    yaml: 'network:\n  subnet: 10.213.47.0/30\n',
    error: 'lab.yml:2:11: network.subnet: is too small: use a /29 or larger',
  },
  {
    name: 'proxyIp outside the subnet',
    yaml: 'network:\n  proxyIp: 10.1.2.3\n',
    error: 'lab.yml:2:12: network.proxyIp: 10.1.2.3 is outside the subnet 10.213.47.0/24',
  },
  {
    name: 'proxyIp is the network address',
    yaml: 'network:\n  proxyIp: 10.213.47.0\n',
    error: 'lab.yml:2:12: network.proxyIp: 10.213.47.0 is the network address of 10.213.47.0/24',
  },
  {
    name: 'proxyIp is the broadcast address',
    yaml: 'network:\n  proxyIp: 10.213.47.255\n',
    error: 'lab.yml:2:12: network.proxyIp: 10.213.47.255 is the broadcast address of 10.213.47.0/24',
  },
  {
    name: 'proxyIp is the gateway',
    yaml: 'network:\n  proxyIp: 10.213.47.1\n',
    error: "lab.yml:2:12: network.proxyIp: 10.213.47.1 is the subnet's gateway",
  },
  {
    name: 'proxyIp not an address',
    yaml: 'network:\n  proxyIp: proxy\n',
    error: 'lab.yml:2:12: network.proxyIp: "proxy" is not an IPv4 address',
  },
  {
    name: 'invalid network name',
    yaml: 'network:\n  name: "bad name"\n',
    error: 'lab.yml:2:9: network.name: must be a Docker network name',
  },
  // ports
  {
    name: 'port conflict',
    yaml: 'ports:\n  http: 8080\n  https: 8080\n',
    error: 'lab.yml:3:10: ports.https: port 8080 is already used by ports.http',
  },
  { name: 'port out of range', yaml: 'ports:\n  https: 70000\n', error: 'lab.yml:2:10: ports.https: must be between 1 and 65535' },
  { name: 'port zero', yaml: 'ports:\n  http: 0\n', error: 'lab.yml:2:9: ports.http: must be between 1 and 65535' },
  // names and hosts
  { name: 'invalid stack name', yaml: 'name: My_Lab\n', error: 'lab.yml:1:7: name: must use only a-z, 0-9 and "-"' },
  { name: 'invalid domain', yaml: 'domain: My_Domain\n', error: 'lab.yml:1:9: domain: must be a lowercase DNS name' },
  { name: 'domain too long for its hosts', yaml: `domain: ${LONG_DOMAIN}\n`, error: 'lab.yml:1:9: domain: the gitlab host "gitlab.aaaa' },
  { name: 'invalid host', yaml: 'hosts:\n  gitlab: -gitlab.test\n', error: 'lab.yml:2:11: hosts.gitlab: must be a lowercase DNS name' },
  {
    name: 'duplicate hosts',
    yaml: 'hosts:\n  registry: gitlab.test\n',
    error: 'lab.yml:2:13: hosts.registry: "gitlab.test" is already the gitlab host',
  },
  {
    name: 'host under the Pages wildcard',
    yaml: 'gitlab:\n  pages: true\nhosts:\n  registry: r.pages.test\n',
    error: 'lab.yml:4:13: hosts.registry: "r.pages.test" lies under the Pages wildcard *.pages.test',
  },
  // gitlab
  { name: 'unsupported edition', yaml: 'gitlab:\n  edition: premium\n', error: 'lab.yml:2:12: gitlab.edition: must be "ce" or "ee"' },
  { name: 'unknown profile', yaml: 'gitlab:\n  profile: tiny\n', error: 'lab.yml:2:12: gitlab.profile: must be "small" or "standard"' },
  {
    name: 'reserved environment variable',
    yaml: 'gitlab:\n  environment:\n    GITLAB_OMNIBUS_CONFIG: x\n',
    error: 'lab.yml:3:28: gitlab.environment.GITLAB_OMNIBUS_CONFIG: is set by lab itself',
  },
  {
    name: 'bad environment variable name',
    yaml: 'gitlab:\n  environment:\n    1BAD: x\n',
    error: 'lab.yml:3:5: gitlab.environment.1BAD: "1BAD" is not an environment variable name',
  },
  // runner, images, certs
  {
    name: 'unknown docker mode',
    yaml: 'runner:\n  docker: podman\n',
    error: 'lab.yml:2:11: runner.docker: must be "socket", "dind" or "remote"',
  },
  {
    name: 'remote without an engine',
    yaml: 'runner:\n  docker: remote\n',
    error: 'lab.yml:2:11: runner.docker: is "remote", but runner.remote.host names no engine',
  },
  {
    name: 'a remote engine that is no TLS address',
    yaml: 'runner:\n  docker: remote\n  remote:\n    host: builder.test\n',
    error: 'lab.yml:4:11: runner.remote.host: must be a Docker TLS address such as "tcp://builder.test:2376"',
  },
  {
    name: 'a relative socket path',
    yaml: 'runner:\n  dockerSocket: docker.sock\n',
    error: 'lab.yml:2:17: runner.dockerSocket: must be an absolute path',
  },
  { name: 'concurrent zero', yaml: 'runner:\n  concurrent: 0\n', error: 'lab.yml:2:15: runner.concurrent: must be at least 1' },
  {
    name: 'unknown pull policy',
    yaml: 'runner:\n  pullPolicy: sometimes\n',
    error: 'lab.yml:2:15: runner.pullPolicy: must be "always", "if-not-present" or "never"',
  },
  {
    name: 'bad image reference',
    yaml: 'images:\n  traefik: "Traefik:latest"\n',
    error: 'lab.yml:2:12: images.traefik: must be an image reference',
  },
  {
    name: 'image reference with a space',
    yaml: 'images:\n  gitlab: gitlab/gitlab-ce:19.4.1-ce.0 extra\n',
    error: 'lab.yml:2:11: images.gitlab: must be an image reference',
  },
  { name: 'leaf lifetime too long', yaml: 'certs:\n  leafDays: 1000\n', error: 'lab.yml:2:13: certs.leafDays: must be at most 825' },
  {
    name: 'permitted domains miss a host',
    yaml: 'certs:\n  permittedDomains: [example.com]\n',
    error: 'lab.yml:2:21: certs.permittedDomains: does not cover the lab host "gitlab.test"',
  },
  { name: 'empty caroot', yaml: 'certs:\n  caroot: ""\n', error: 'lab.yml:2:11: certs.caroot: must not be empty' },
];

const dirs: string[] = [];
afterAll(async () => {
  if (!process.env.LAB_KEEP_TMP) await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe(`lab render refuses ${CASES.length} invalid lab.yml files`, () => {
  it('has a corpus of at least 25 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
  });

  // Concurrent: each case is its own process and folder; `expect` comes from the test context.
  it.concurrent.for(CASES)('$name', async ({ yaml, error, hint }, { expect }) => {
    const dir = await mkdtemp(join(tmpdir(), 'lab-invalid-'));
    dirs.push(dir);
    await writeFile(join(dir, 'lab.yml'), yaml);
    const run = await runLab(['render'], { cwd: dir });
    expect(run.exitCode, run.all).toBe(2);
    const errorLine = run.stderr.split('\n').find((l) => l.startsWith('lab: error: ')) ?? '';
    expect(errorLine, run.stderr).toContain(`lab: error: ${error}`);
    if (hint) expect(run.stderr).toMatch(new RegExp(`^hint: .*${hint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    expect(run.stdout).toBe('');
    expect(await readdir(dir, { recursive: true })).toEqual(['lab.yml']);
  });
});
