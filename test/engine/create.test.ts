import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import { containerCreateOptions } from '../../src/engine/create.js';
import { containerLabels, ownedBy, stackLabels } from '../../src/engine/labels.js';
import { demultiplex } from '../../src/engine/logs.js';
import { boundPortFromError, portTakenError } from '../../src/engine/ports.js';
import { PullTracker } from '../../src/engine/pull.js';
import { containerSpecOf } from '../../src/stack/desired.js';
import { stackIdentity } from '../../src/stack/view.js';
import { parseEnvFile } from '../../src/util/envfile.js';

const model = buildModel(parseConfig('name: demo\nports:\n  https: 8443\n'), { dir: '/labs/demo' });

describe('labels', () => {
  it('look like compose labels plus lab labels', () => {
    const labels = containerLabels(stackIdentity(model), containerSpecOf(model, 'gitlab'), 'abc');
    expect(labels).toMatchObject({
      'com.docker.compose.project': 'demo',
      'com.docker.compose.service': 'gitlab',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.container-number': '1',
      'com.docker.compose.config-hash': 'abc',
      'com.docker.compose.project.working_dir': '/labs/demo/compose',
      'com.docker.compose.project.config_files':
        '/labs/demo/compose/traefik.yml,/labs/demo/compose/gitlab.yml,/labs/demo/compose/runner.yml',
      'dev.lab.stack': 'demo',
      'dev.lab.service': 'gitlab',
      'dev.lab.config-hash': 'abc',
      'dev.lab.managed': 'true',
    });
  });

  it('recognise only this stack as the owner', () => {
    expect(ownedBy(stackLabels(stackIdentity(model)), 'demo')).toBe(true);
    expect(ownedBy(stackLabels(stackIdentity(model)), 'demo2')).toBe(false);
    expect(ownedBy({ 'com.docker.compose.project': 'demo' }, 'demo')).toBe(false);
    expect(ownedBy(undefined, 'demo')).toBe(false);
  });
});

describe('containerCreateOptions', () => {
  it('turns the Traefik spec into a create body with absolute binds, static IP and ports', () => {
    const spec = containerSpecOf(model, 'traefik');
    const body = containerCreateOptions(spec, { labDir: '/labs/demo', labels: { a: 'b' }, envFromFiles: {} });
    expect(body.name).toBe('demo-traefik-1');
    expect(body.HostConfig?.Mounts).toEqual([
      { Type: 'bind', Source: '/labs/demo/compose/traefik', Target: '/etc/traefik', ReadOnly: true },
      { Type: 'bind', Source: '/labs/demo/certs/tls', Target: '/etc/lab/tls', ReadOnly: true },
    ]);
    // Traefik listens on the published ports inside too, so a URL with :8443 works in jobs as well.
    expect(body.HostConfig?.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '80' }],
      '8443/tcp': [{ HostIp: '', HostPort: '8443' }],
      // Git over SSH: Traefik's TCP entry point listens on the published port too.
      '2222/tcp': [{ HostIp: '', HostPort: '2222' }],
    });
    expect(body.NetworkingConfig?.EndpointsConfig?.['demo-net']).toEqual({
      IPAMConfig: { IPv4Address: '10.213.47.254' },
      Aliases: ['traefik'],
    });
    expect(body.HostConfig?.ExtraHosts).toContain('gitlab.test:10.213.47.254');
    expect(body.HostConfig?.RestartPolicy).toEqual({ Name: 'unless-stopped' });
    expect(body.Healthcheck?.Interval).toBe(10_000_000_000);
  });

  it('puts env-file values into the environment, with the spec winning', () => {
    const spec = containerSpecOf(model, 'gitlab');
    const body = containerCreateOptions(spec, {
      labDir: '/labs/demo',
      labels: {},
      envFromFiles: { GITLAB_ROOT_PASSWORD: 's3cret-value', GITLAB_OMNIBUS_CONFIG: 'nope' },
    });
    expect(body.Env).toContain('GITLAB_ROOT_PASSWORD=s3cret-value');
    expect(body.StopTimeout).toBe(120);
    expect(body.Env?.filter((e) => e.startsWith('GITLAB_OMNIBUS_CONFIG='))).toHaveLength(1);
    expect(body.Env).not.toContain('GITLAB_OMNIBUS_CONFIG=nope');
    expect(body.HostConfig?.Mounts).toContainEqual({
      Type: 'volume',
      Source: 'demo-gitlab-data',
      Target: '/var/opt/gitlab',
      ReadOnly: false,
    });
  });

  it('binds host paths as they are', () => {
    const body = containerCreateOptions(containerSpecOf(model, 'runner'), { labDir: '/labs/demo', labels: {}, envFromFiles: {} });
    expect(body.HostConfig?.Mounts).toContainEqual({
      Type: 'bind',
      Source: '/var/run/docker.sock',
      Target: '/var/run/docker.sock',
      ReadOnly: false,
    });
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines, comments and quotes', () => {
    expect(parseEnvFile('# c\nA=1\n\nB="two words"\nC=\'x=y\'\nexport D=4\nbroken\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x=y',
      D: '4',
    });
  });
});

describe('ports', () => {
  it("finds the port in the engine's bind errors", () => {
    expect(
      boundPortFromError(
        'driver failed programming external connectivity on endpoint x: Bind for 0.0.0.0:8443 failed: port is already allocated',
      ),
    ).toBe(8443);
    expect(boundPortFromError('Error starting userland proxy: listen tcp4 0.0.0.0:80: bind: address already in use')).toBe(80);
    expect(boundPortFromError('no such image')).toBeUndefined();
  });

  it('names the holder and the lab.yml key to change', () => {
    const err = portTakenError(stackIdentity(model), [{ port: 8443, holder: 'container web-1' }]);
    expect(err.message).toBe('port 8443 (ports.https) is already taken by container web-1');
    expect(err.hint).toContain('ports:');
    expect(err.exitCode).toBe(1);
  });
});

describe('demultiplex', () => {
  it('splits stdout and stderr frames', () => {
    const frame = (type: number, text: string) => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = type;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    const frames = demultiplex(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')]));
    expect(frames.map((f) => [f.stream, f.data.toString()])).toEqual([
      ['stdout', 'out\n'],
      ['stderr', 'err\n'],
      ['stdout', 'more'],
    ]);
  });
});

describe('PullTracker', () => {
  it('sums layer bytes and surfaces error events', () => {
    const t = new PullTracker('img:1');
    expect(t.add({ status: 'Pulling from library/img', id: '1' })).toBeUndefined();
    t.add({ status: 'Pulling fs layer', id: 'a' });
    t.add({ status: 'Downloading', id: 'a', progressDetail: { current: 50, total: 100 } });
    t.add({ status: 'Downloading', id: 'b', progressDetail: { current: 10, total: 300 } });
    expect(t.progress()).toMatchObject({ current: 60, total: 400, layers: 2, layersDone: 0 });
    t.add({ status: 'Pull complete', id: 'a' });
    expect(t.progress()).toMatchObject({ current: 110, total: 400, layersDone: 1 });
    expect(t.add({ error: 'manifest unknown', errorDetail: { message: 'manifest unknown' } })).toBe('manifest unknown');
  });
});
