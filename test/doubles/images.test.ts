// The fixture base images and the CI job images (fixtures/{debian,node,docker,dind,golang,
// runner-helper}), checked from the outside with the docker CLI: what runs in them, the
// dind double's certificates and TLS, and the real-name aliases scripts/fixtures.sh tags.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { docker, requireDocker, uniqueStack } from '../helpers/docker.js';
import { runLabelArgs } from '../helpers/run-label.js';
import { tempDir } from '../helpers/tmp.js';
import { requireTool } from '../helpers/tools.js';
import { makeCerts, Resources, waitFor } from './harness.js';

const hasDocker = await requireDocker();
const res = new Resources();
const sfx = randomBytes(3).toString('hex');
const images: string[] = []; // images this file builds
let dir: string;

/** A one-shot container of this run; never rejects. */
const run = (args: string[], input?: string) =>
  docker(['run', '--rm', ...runLabelArgs(), ...args], { reject: false, ...(input === undefined ? {} : { input }) });
const sh = (image: string, script: string, args: string[] = []) => run([...args, '--entrypoint', 'sh', image, '-c', script]);
const idOf = async (ref: string) => (await docker(['image', 'inspect', '-f', '{{.Id}}', ref], { reject: false })).stdout.trim();
const fixturesSh = (args: string[], env: Record<string, string> = {}) =>
  execa('bash', ['scripts/fixtures.sh', ...args], { cwd: REPO_ROOT, env, reject: false });

// The capability recipe this machine allows instead of --privileged (fixtures/README.md).
const DIND = [
  ...['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE'],
  ...['--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined', '--security-opt', 'systempaths=unconfined'],
  ...['-v', '/sys/fs/cgroup:/sys/fs/cgroup:rw', '-v', '/var/lib/docker', '--tmpfs', '/run'],
];

beforeAll(async () => {
  if (!hasDocker) return;
  await requireTool('openssl');
  for (const name of ['debian', 'node', 'docker', 'dind', 'golang', 'runner-helper', 'busybox']) {
    if (!(await idOf(`lab-fixture/${name}:latest`))) throw new Error(`lab-fixture/${name} is missing: run scripts/fixtures.sh`);
  }
  dir = await tempDir('lab-images-');
});

afterAll(async () => {
  if (!hasDocker) return;
  await res.cleanup();
  if (images.length) await docker(['image', 'rm', '-f', ...images], { reject: false });
});

describe.skipIf(!hasDocker)('the Debian base', () => {
  it('is Debian 12 with apt sources for bookworm, its updates and its security archive', async () => {
    const r = await sh(
      'lab-fixture/debian',
      'cat /etc/debian_version /etc/apt/sources.list.d/*.sources; /usr/sbin/policy-rc.d; echo "rc=$?"',
    );
    expect(r.stdout).toMatch(/^12\.\d+/);
    expect(r.stdout).toContain('Suites: bookworm bookworm-updates');
    expect(r.stdout).toContain('Suites: bookworm-security');
    expect(r.stdout).toContain('rc=101'); // no service starts during an image build
  });

  it('runs the probe with the host node binary in lab-fixture/node', async () => {
    const server = `require('node:http').createServer((q, s) => s.end('hi ' + q.url)).listen(8080)`;
    const r = await sh('lab-fixture/node', `node -e "${server}" & sleep 1; node /fixture/probe.mjs http://127.0.0.1:8080/probe`);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; status: number; body: string };
    expect(out).toMatchObject({ ok: true, status: 200, body: 'hi /probe' });
  });
});

describe.skipIf(!hasDocker)('lab-fixture/docker', () => {
  it('has the docker CLI, git, sh and openssl, and runs docker flags through docker', async () => {
    const r = await sh('lab-fixture/docker', 'git --version && openssl version && command -v update-ca-certificates');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/git version/);
    const v = await run(['lab-fixture/docker', '--version']);
    expect(v.stdout).toMatch(/^Docker version 20\.10/);
  });

  it('trusts a CA once it is in /usr/local/share/ca-certificates and update-ca-certificates ran', async () => {
    await makeCerts(join(dir, 'tls'), `Images CA ${sfx}`, ['localhost']);
    const script = [
      'openssl s_server -quiet -accept 8443 -cert /tls/lab.pem -key /tls/lab-key.pem -www >/dev/null 2>&1 &',
      'sleep 1',
      'check() { openssl s_client -connect localhost:8443 -servername localhost -verify_return_error </dev/null >/dev/null 2>&1 && echo trusted || echo untrusted; }',
      'check',
      'cp /tls/ca.pem /usr/local/share/ca-certificates/lab-test.crt && update-ca-certificates >/dev/null 2>&1',
      'check',
    ].join('\n');
    const r = await sh('lab-fixture/docker', script, ['-v', `${join(dir, 'tls')}:/tls:ro`]);
    expect(r.stdout.split('\n')).toEqual(['untrusted', 'trusted']);
  });

  it('points DOCKER_HOST where the official entrypoint does', async () => {
    const show = ['lab-fixture/docker', 'sh', '-c', 'echo "$DOCKER_HOST|$DOCKER_TLS_VERIFY|$DOCKER_CERT_PATH"'];
    expect((await run(show)).stdout).toBe('tcp://docker:2375||');
    const client = join(dir, 'client');
    await mkdir(client);
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(client, f), 'x\n');
    expect((await run(['-v', `${client}:/certs/client:ro`, ...show])).stdout).toBe('tcp://docker:2376|1|/certs/client');
    const sock = await run([
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      'lab-fixture/docker',
      'version',
      '--format',
      '{{.Server.Os}}',
    ]);
    expect(sock.stdout, sock.stderr).toBe('linux');
  });
});

describe.skipIf(!hasDocker)('lab-fixture/dind', () => {
  let net: string;
  let dind: string;
  let certs: string;
  const client = (args: string[], input?: string) => run(['--network', net, '-v', `${certs}:/certs/client:ro`, ...args], input);

  beforeAll(async () => {
    net = `img${sfx}-net`;
    certs = `img${sfx}-certs`;
    res.networks.push(net);
    res.volumes.push(certs);
    await docker(['network', 'create', ...runLabelArgs(), net]);
    await docker(['volume', 'create', ...runLabelArgs(), certs]);
    dind = `img${sfx}-dind`;
    await res.run(dind, [
      ...runLabelArgs(),
      ...DIND,
      '--network',
      net,
      '--network-alias',
      'docker',
      '-v',
      `${certs}:/certs/client`,
      'lab-fixture/dind',
    ]);
    await waitFor(
      'the dind double to answer over TLS',
      async () => ((await client(['lab-fixture/docker', 'version'])).exitCode === 0 ? true : undefined),
      90_000,
      1000,
    );
  });

  it('made a CA, a server certificate for its names and addresses, and a client certificate', async () => {
    const ip = (await docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, dind])).stdout.trim();
    const host = (await docker(['inspect', '-f', '{{.Config.Hostname}}', dind])).stdout.trim();
    const ext = (f: string) => docker(['exec', dind, 'openssl', 'x509', '-in', f, '-noout', '-ext', 'subjectAltName,extendedKeyUsage']);
    const server = (await ext('/certs/server/cert.pem')).stdout;
    for (const san of [`DNS:${host}`, 'DNS:docker', 'DNS:localhost', 'IP Address:127.0.0.1', `IP Address:${ip}`])
      expect(server).toContain(san);
    expect(server).toContain('TLS Web Server Authentication');
    expect((await ext('/certs/client/cert.pem')).stdout).toContain('TLS Web Client Authentication');
    const files = await docker(['exec', dind, 'sh', '-c', 'cd /certs && stat -c "%n %a" ca/cert.pem ca/key.pem server/*.pem client/*.pem']);
    expect(files.stdout.split('\n').sort()).toEqual(
      ['ca/cert.pem 644', 'ca/key.pem 600', 'client/ca.pem 644', 'client/cert.pem 644', 'client/csr.pem 644', 'client/key.pem 644'].concat([
        'server/ca.pem 644',
        'server/cert.pem 644',
        'server/csr.pem 644',
        'server/key.pem 600',
      ]),
    );
  });

  it('serves a docker client in another container over TLS with the client certificates', async () => {
    const r = await client(['lab-fixture/docker', 'sh', '-c', 'echo "$DOCKER_HOST"; docker version --format "{{.Server.Version}}"']);
    expect(r.stdout.split('\n')).toEqual(['tcp://docker:2376', expect.stringMatching(/^20\.10\./)]);
  });

  it('runs containers of its own', async () => {
    const saved = await execa('docker', ['save', 'lab-fixture/busybox'], { encoding: 'buffer' });
    const nested = 'docker load -q >/dev/null && docker run --rm lab-fixture/busybox echo nested';
    const r = await execa(
      'docker',
      [
        'run',
        '--rm',
        '-i',
        ...runLabelArgs(),
        '--network',
        net,
        '-v',
        `${certs}:/certs/client:ro`,
        'lab-fixture/docker',
        'sh',
        '-c',
        nested,
      ],
      {
        reject: false,
        input: saved.stdout,
      },
    );
    expect(r.stdout, r.stderr).toBe('nested');
  });

  it('refuses a client without a certificate, and has no plain port', async () => {
    // DOCKER_TLS_CERTDIR empty: the entrypoint leaves the client certificates out.
    const bare = ['-e', 'DOCKER_TLS_CERTDIR=', 'lab-fixture/docker', 'docker'];
    const noCert = await client([...bare, '--tlsverify', '--tlscacert', '/certs/client/ca.pem', '-H', 'tcp://docker:2376', 'version']);
    expect(noCert.exitCode).not.toBe(0);
    expect(noCert.stderr).toMatch(/bad certificate|certificate required/);
    const plain = await client([...bare, '-H', 'tcp://docker:2375', 'version']);
    expect(plain.exitCode).not.toBe(0);
    expect(plain.stderr).toMatch(/Cannot connect to the Docker daemon at tcp:\/\/docker:2375/);
  });

  it('listens on 2375 without TLS when DOCKER_TLS_CERTDIR is empty', async () => {
    const plain = `img${sfx}-plain`;
    await res.run(plain, [...runLabelArgs(), ...DIND, '--network', net, '-e', 'DOCKER_TLS_CERTDIR=', 'lab-fixture/dind']);
    const version = () =>
      run(['--network', net, '-e', `DOCKER_HOST=tcp://${plain}:2375`, 'lab-fixture/docker', 'version', '--format', '{{.Server.Version}}']);
    await waitFor('the plain dind double', async () => ((await version()).exitCode === 0 ? true : undefined), 90_000, 1000);
    expect((await version()).stdout).toMatch(/^20\.10\./);
    expect((await docker(['exec', plain, 'find', '/certs', '-type', 'f'])).stdout).toBe('');
  });
});

describe.skipIf(!hasDocker)('lab-fixture/dind as a remote TLS engine with given certificates', () => {
  it('runs `dockerd --tlsverify ...` and accepts only clients of the given CA', async () => {
    const stack = await uniqueStack('img');
    const ip = stack.proxyIp;
    const net = `${stack.name}-net`;
    res.networks.push(net);
    await docker(['network', 'create', ...runLabelArgs(), '--subnet', stack.subnet, net]);
    const tls = join(dir, 'remote');
    await execa('bash', ['-c', opensslCerts(ip)], { cwd: dir, env: { OUT: tls } });
    const engine = `img${sfx}-remote`;
    const flags = [
      '--host=tcp://0.0.0.0:2376',
      '--tlsverify',
      '--tlscacert=/tls/ca.pem',
      '--tlscert=/tls/server.pem',
      '--tlskey=/tls/server-key.pem',
    ];
    await res.run(engine, [
      ...runLabelArgs(),
      ...DIND,
      '--network',
      net,
      '--ip',
      ip,
      '-v',
      `${tls}:/tls:ro`,
      'lab-fixture/dind',
      'dockerd',
      ...flags,
    ]);
    const version = (certDir: string) =>
      execa('docker', ['version', '--format', '{{.Server.Version}}'], {
        reject: false,
        env: { DOCKER_HOST: `tcp://${ip}:2376`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir },
      });
    const ok = await waitFor(
      'the remote engine',
      async () => ((await version(join(tls, 'client'))).exitCode === 0 ? true : undefined),
      90_000,
      1000,
    );
    expect(ok).toBe(true);
    expect((await version(join(tls, 'client'))).stdout).toMatch(/^20\.10\./);
    const other = await version(join(tls, 'other'));
    expect(other.exitCode).not.toBe(0);
    expect(other.stderr).toMatch(/bad certificate|unknown authority|certificate required/);
    // The given certificates are used as they are: nothing was generated.
    expect((await docker(['exec', engine, 'find', '/certs', '-type', 'f'])).stdout).toBe('');
  });
});

/** A CA, a server certificate for `ip`, a client of that CA (client/) and one of another CA (other/). */
function opensslCerts(ip: string): string {
  return `set -e
mkdir -p "$OUT/client" "$OUT/other"; cd "$OUT"
ca() { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" -keyout "$2-key.pem" -out "$2.pem" 2>/dev/null; }
leaf() { openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$2/key.pem" -out "$2/csr.pem" 2>/dev/null
  openssl x509 -req -in "$2/csr.pem" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial -days 2 -extfile <(printf '%s' "$4") -out "$2/cert.pem" 2>/dev/null; }
ca "remote engine CA" ca; ca "some other CA" otherca
mkdir -p server; leaf server server ca "subjectAltName=IP:${ip}
extendedKeyUsage=serverAuth"
mv server/cert.pem server.pem; mv server/key.pem server-key.pem
leaf client client ca "extendedKeyUsage=clientAuth"; cp ca.pem client/ca.pem
leaf other other otherca "extendedKeyUsage=clientAuth"; cp ca.pem other/ca.pem`;
}

describe.skipIf(!hasDocker)('lab-fixture/golang', () => {
  // A pure Go program: compiling the standard library for cgo too would double the time.
  it('builds and runs a Go program in GOPATH /go, and has gcc for cgo', async () => {
    const main = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("twice", 2*21) }\n';
    const script = `pwd; go env GOPATH GOTOOLCHAIN; gcc --version >/dev/null && mkdir /tmp/h && cd /tmp/h && cat > main.go && go mod init example.test/h 2>/dev/null && go build -o h . && ./h`;
    const r = await run(['-i', 'lab-fixture/golang', 'sh', '-c', script], main);
    expect(r.stdout.split('\n'), r.stderr).toEqual(['/go', '/go', 'local', 'twice 42']);
  }, 300_000);
});

describe.skipIf(!hasDocker)('lab-fixture/runner-helper', () => {
  it('has git, sh, bash and gitlab-runner-build, and trusts the CA the runner mounts', async () => {
    await makeCerts(join(dir, 'helper'), `Helper CA ${sfx}`, ['gitlab.test']);
    const helper = 'registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v19.4.1';
    const script = [
      'git --version',
      'for p in sh bash gitlab-runner-build; do command -v "$p"; done',
      'openssl verify -CAfile /etc/ssl/certs/ca-certificates.crt /c/lab.pem',
    ].join(' && ');
    const r = await run([
      '-v',
      `${join(dir, 'helper', 'ca.pem')}:/etc/gitlab-runner/certs/ca.crt:ro`,
      '-v',
      `${join(dir, 'helper')}:/c:ro`,
      helper,
      'sh',
      '-c',
      script,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('Updating CA certificates...');
    expect(r.stdout).toContain('/usr/bin/gitlab-runner-build');
    expect(r.stdout).toContain('/c/lab.pem: OK');
  });
});

describe.skipIf(!hasDocker)('real-name aliases', () => {
  it('point at the doubles', async () => {
    const expected: Record<string, string[]> = {
      docker: ['docker:28.3.3', 'docker:28'],
      dind: ['docker:28.3.3-dind', 'docker:28-dind', 'docker:dind'],
      golang: ['golang:1.24-bookworm', 'golang:1.24'],
      'runner-helper': ['registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v19.4.1'],
    };
    for (const [name, aliases] of Object.entries(expected)) {
      const id = await idOf(`lab-fixture/${name}:latest`);
      for (const alias of aliases) expect(await idOf(alias), alias).toBe(id);
    }
  });

  it('leave an image lab did not build alone, and clean removes only fixture images and their aliases', async () => {
    const fake = `t${sfx}`; // a fixture image of this test only
    const mine = `lab-test-${sfx}/docker`; // a real-looking name
    const build = async (tag: string, labels: string[]) => {
      images.push(tag);
      const dockerfile = `FROM scratch\nLABEL ${labels.join(' ')}\n`;
      await execa('docker', ['build', '-q', ...runLabelArgs(), '-t', tag, '-'], { input: dockerfile, env: { DOCKER_BUILDKIT: '0' } });
    };
    await build(`lab-fixture/${fake}:latest`, [`dev.lab.fixture=${fake}`]);
    await build(`${mine}:28.3.3`, ['purpose=not-a-fixture']);
    const env = { FIXTURES_ALIASES: `${fake} ${mine}:28.3.3\n${fake} ${mine}:28\n` };
    images.push(`${mine}:28`);
    const userImage = await idOf(`${mine}:28.3.3`);

    const tagged = await fixturesSh(['aliases'], env);
    expect(tagged.exitCode, tagged.stderr).toBe(0);
    expect(tagged.stderr).toContain(`${mine}:28.3.3 names an image that scripts/fixtures.sh did not build: left alone`);
    expect(await idOf(`${mine}:28.3.3`)).toBe(userImage);
    expect(await idOf(`${mine}:28`)).toBe(await idOf(`lab-fixture/${fake}:latest`));

    const cleaned = await fixturesSh(['clean', fake], env);
    expect(cleaned.exitCode, cleaned.stderr).toBe(0);
    expect(await idOf(`${mine}:28`)).toBe('');
    expect(await idOf(`lab-fixture/${fake}:latest`)).toBe('');
    expect(await idOf(`${mine}:28.3.3`)).toBe(userImage);
  });
});
