import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextId, resolveEndpoint } from '../../src/engine/endpoint.js';
import { LabError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/tmp.js';

/** A DOCKER_CONFIG folder laid out like the docker CLI's context store. */
async function dockerConfig(options: {
  current?: string;
  contexts?: Record<string, { host: string; skipTls?: boolean; tls?: boolean }>;
}): Promise<string> {
  const dir = await tempDir('lab-dockercfg-');
  if (options.current !== undefined)
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: {}, currentContext: options.current }));
  for (const [name, ctx] of Object.entries(options.contexts ?? {})) {
    const meta = join(dir, 'contexts', 'meta', contextId(name));
    await mkdir(meta, { recursive: true });
    await writeFile(
      join(meta, 'meta.json'),
      JSON.stringify({
        Name: name,
        Metadata: { Description: 'test' },
        Endpoints: { docker: { Host: ctx.host, SkipTLSVerify: ctx.skipTls ?? false } },
      }),
    );
    if (ctx.tls) {
      const tls = join(dir, 'contexts', 'tls', contextId(name), 'docker');
      await mkdir(tls, { recursive: true });
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(tls, f), 'x');
    }
  }
  return dir;
}

describe('context store layout', () => {
  it('names context folders by the SHA-256 of the context name (as Docker Desktop does)', () => {
    // The folder Docker Desktop creates for its "desktop-linux" context.
    expect(contextId('desktop-linux')).toBe('fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e');
  });
});

describe('resolveEndpoint', () => {
  it('uses the default socket without DOCKER_HOST, context or config', async () => {
    const cfg = await dockerConfig({});
    const e = await resolveEndpoint({ DOCKER_CONFIG: cfg });
    expect(e).toMatchObject({
      kind: 'unix',
      address: 'unix:///var/run/docker.sock',
      publishedHost: '127.0.0.1',
      local: true,
      context: undefined,
    });
  });

  it('honours DOCKER_HOST with a unix socket', async () => {
    const e = await resolveEndpoint({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock', DOCKER_CONFIG: await dockerConfig({}) });
    expect(e).toMatchObject({ kind: 'unix', address: 'unix:///run/user/1000/docker.sock', publishedHost: '127.0.0.1', local: true });
  });

  it('treats tcp to a remote host as remote: published ports appear on that host', async () => {
    const e = await resolveEndpoint({ DOCKER_HOST: 'tcp://build-box.example:2375', DOCKER_CONFIG: await dockerConfig({}) });
    expect(e).toMatchObject({ kind: 'tcp', publishedHost: 'build-box.example', local: false });
    expect(e.tls).toBeUndefined();
  });

  it('treats tcp to a loopback address as local', async () => {
    for (const host of ['tcp://localhost:2375', 'tcp://127.0.0.1:2375', 'tcp://[::1]:2375']) {
      const e = await resolveEndpoint({ DOCKER_HOST: host, DOCKER_CONFIG: await dockerConfig({}) });
      expect(e, host).toMatchObject({ kind: 'tcp', publishedHost: '127.0.0.1', local: true });
    }
  });

  it('reads DOCKER_TLS_VERIFY and DOCKER_CERT_PATH for tcp+TLS', async () => {
    const e = await resolveEndpoint({
      DOCKER_HOST: 'tcp://10.9.8.7:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/certs/here',
      DOCKER_CONFIG: await dockerConfig({}),
    });
    expect(e).toMatchObject({ kind: 'tcp', publishedHost: '10.9.8.7', local: false });
    expect(e.tls).toEqual({ verify: true, ca: '/certs/here/ca.pem', cert: '/certs/here/cert.pem', key: '/certs/here/key.pem' });
  });

  it('defaults DOCKER_CERT_PATH to the Docker config folder', async () => {
    const cfg = await dockerConfig({});
    const e = await resolveEndpoint({ DOCKER_HOST: 'tcp://10.9.8.7:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: cfg });
    expect(e.tls?.ca).toBe(join(cfg, 'ca.pem'));
  });

  it('parses ssh endpoints', async () => {
    const e = await resolveEndpoint({ DOCKER_HOST: 'ssh://deploy@engine.example:2222', DOCKER_CONFIG: await dockerConfig({}) });
    expect(e).toMatchObject({ kind: 'ssh', address: 'ssh://deploy@engine.example:2222', publishedHost: 'engine.example', local: false });
  });

  it('rejects an address it cannot use with a usage error (exit 2)', async () => {
    const cfg = await dockerConfig({});
    for (const bad of ['fd://', 'docker.example:2375', 'unix://']) {
      const err = await resolveEndpoint({ DOCKER_HOST: bad, DOCKER_CONFIG: cfg }).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(LabError);
      expect((err as LabError).exitCode, bad).toBe(2);
      expect((err as LabError).message, bad).toContain('DOCKER_HOST');
    }
  });

  it('follows currentContext in config.json through the context store', async () => {
    const cfg = await dockerConfig({ current: 'colima', contexts: { colima: { host: 'unix:///Users/me/.colima/default/docker.sock' } } });
    const e = await resolveEndpoint({ DOCKER_CONFIG: cfg });
    expect(e).toMatchObject({ kind: 'unix', address: 'unix:///Users/me/.colima/default/docker.sock', context: 'colima', local: true });
  });

  it('lets DOCKER_CONTEXT win over currentContext, and DOCKER_HOST win over both', async () => {
    const cfg = await dockerConfig({
      current: 'a',
      contexts: { a: { host: 'unix:///a.sock' }, b: { host: 'tcp://remote-b.example:2376', tls: true } },
    });
    const b = await resolveEndpoint({ DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'b' });
    expect(b).toMatchObject({ kind: 'tcp', context: 'b', publishedHost: 'remote-b.example', local: false });
    const tlsDir = join(cfg, 'contexts', 'tls', contextId('b'), 'docker');
    expect(b.tls).toEqual({ verify: true, ca: join(tlsDir, 'ca.pem'), cert: join(tlsDir, 'cert.pem'), key: join(tlsDir, 'key.pem') });
    const h = await resolveEndpoint({ DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'b', DOCKER_HOST: 'unix:///host.sock' });
    expect(h).toMatchObject({ address: 'unix:///host.sock', context: undefined });
  });

  it('honours SkipTLSVerify of a context', async () => {
    const cfg = await dockerConfig({ contexts: { lax: { host: 'tcp://10.1.1.1:2376', skipTls: true } } });
    const e = await resolveEndpoint({ DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'lax' });
    expect(e.tls).toMatchObject({ verify: false, ca: undefined });
  });

  it('treats the "default" context as the default socket', async () => {
    const cfg = await dockerConfig({ current: 'default' });
    expect(await resolveEndpoint({ DOCKER_CONFIG: cfg })).toMatchObject({ address: 'unix:///var/run/docker.sock', context: undefined });
  });

  it('names a context that does not exist, with a hint', async () => {
    const cfg = await dockerConfig({ current: 'gone' });
    const err = (await resolveEndpoint({ DOCKER_CONFIG: cfg }).catch((e: unknown) => e)) as LabError;
    expect(err).toBeInstanceOf(LabError);
    expect(err.message).toContain('"gone"');
    expect(err.hint).toContain('docker context ls');
  });

  it('reports a corrupt config.json instead of guessing', async () => {
    const cfg = await tempDir('lab-dockercfg-');
    await writeFile(join(cfg, 'config.json'), '{ not json');
    const err = (await resolveEndpoint({ DOCKER_CONFIG: cfg }).catch((e: unknown) => e)) as LabError;
    expect(err).toBeInstanceOf(LabError);
    expect(err.message).toContain('config.json');
  });
});
