import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { file, GOLDEN_DIR, keyPaths, modelOf, renderByPath, schemaValidator, yamlOf } from '../helpers/stack.js';
import { tempDir } from '../helpers/tmp.js';

// Every rendered compose and Traefik file, for a spread of configurations, must satisfy
// the official schemas, and the Traefik files may use only the keys of the container
// contract (the test fixture implements exactly those and rejects the rest).
const VARIANTS: Record<string, string> = {
  default: '',
  custom: readFileSync(join(GOLDEN_DIR, 'custom.lab.yml'), 'utf8'),
  'pages on, socket runner': 'gitlab:\n  pages: true\n',
  'dind runner, ee': 'gitlab:\n  edition: ee\nrunner:\n  docker: dind\n',
  'small subnet': 'name: tiny\nnetwork:\n  subnet: 192.168.77.0/29\n',
};

const STATIC_KEYS = [
  'global.checkNewVersion',
  'global.sendAnonymousUsage',
  'log.level',
  'api.dashboard',
  'ping.entryPoint',
  'entryPoints.*.address',
  'entryPoints.*.http.redirections.entryPoint.to',
  'entryPoints.*.http.redirections.entryPoint.scheme',
  'entryPoints.*.http.redirections.entryPoint.permanent',
  'entryPoints.*.transport.respondingTimeouts.readTimeout',
  'entryPoints.*.transport.respondingTimeouts.writeTimeout',
  'entryPoints.*.transport.respondingTimeouts.idleTimeout',
  'providers.file.directory',
  'providers.file.watch',
];

const DYNAMIC_KEYS = [
  'http.routers.*.rule',
  'http.routers.*.entryPoints[]',
  'http.routers.*.service',
  'http.routers.*.tls',
  'http.routers.*.priority',
  'http.services.*.loadBalancer.servers[].url',
  'http.services.*.loadBalancer.passHostHeader',
  // Git over SSH: a TCP router with HostSNI(`*`) on its own entry point.
  'tcp.routers.*.rule',
  'tcp.routers.*.entryPoints[]',
  'tcp.routers.*.service',
  'tcp.services.*.loadBalancer.servers[].address',
  'tls.certificates[].certFile',
  'tls.certificates[].keyFile',
  'tls.stores.default.defaultCertificate.certFile',
  'tls.stores.default.defaultCertificate.keyFile',
  'tls.options.default.minVersion',
];

/** Key paths with the user-chosen names (entry points, routers, services) replaced by `*`. */
function contractPaths(doc: unknown, named: RegExp): string[] {
  return keyPaths(doc).map((p) => p.replace(named, '$1*'));
}

describe.each(Object.entries(VARIANTS))('the %s lab', (_name, labYml) => {
  it('renders compose files that validate against the Compose Specification', async () => {
    const files = renderByPath(modelOf(labYml, await tempDir()));
    const validate = schemaValidator('compose-spec.json');
    for (const service of ['traefik', 'gitlab', 'runner']) {
      const doc = yamlOf(file(files, `compose/${service}.yml`));
      expect(validate(doc), `compose/${service}.yml: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('renders three compose files that merge into one valid project', async () => {
    const files = renderByPath(modelOf(labYml, await tempDir()));
    const docs = ['traefik', 'gitlab', 'runner'].map((service) => yamlOf(file(files, `compose/${service}.yml`)));
    // What `docker compose -f a -f b -f c` does with disjoint services: one project, maps merged.
    const merged: Record<string, unknown> = { name: docs[0]?.name };
    for (const key of ['services', 'networks', 'volumes']) {
      merged[key] = Object.assign({}, ...docs.map((d) => (d[key] ?? {}) as object));
    }
    for (const d of docs) expect(d.name).toBe(merged.name);
    expect(Object.keys(merged.services as object)).toEqual(['traefik', 'gitlab', 'runner']);
    const validate = schemaValidator('compose-spec.json');
    expect(validate(merged), JSON.stringify(validate.errors)).toBe(true);
    // Every network and volume a service uses is declared (external) in the project.
    for (const service of Object.values(
      merged.services as Record<string, { networks: object; volumes?: { type: string; source: string }[] }>,
    )) {
      for (const net of Object.keys(service.networks)) expect(merged.networks).toHaveProperty([net, 'external'], true);
      for (const v of service.volumes ?? []) if (v.type === 'volume') expect(merged.volumes).toHaveProperty([v.source, 'external'], true);
    }
  });

  it('renders a Traefik static config that validates and stays inside the contract', async () => {
    const doc = yamlOf(file(renderByPath(modelOf(labYml, await tempDir())), 'compose/traefik/traefik.yml'));
    const validate = schemaValidator('traefik-v3.json');
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    for (const path of contractPaths(doc, /^(entryPoints\.)[^.]+/)) expect(STATIC_KEYS).toContain(path);
  });

  it('renders a Traefik dynamic config that validates and stays inside the contract', async () => {
    const doc = yamlOf(file(renderByPath(modelOf(labYml, await tempDir())), 'compose/traefik/dynamic/lab.yml'));
    const validate = schemaValidator('traefik-v3-file-provider.json');
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    for (const path of contractPaths(doc, /^((?:http|tcp)\.(?:routers|services)\.)[^.]+/)) expect(DYNAMIC_KEYS).toContain(path);
    const rules = Object.values((doc.http as { routers: Record<string, { rule: string }> }).routers).map((r) => r.rule);
    for (const rule of rules) expect(rule).toMatch(/^(?:(?:Host|HostRegexp)\(`[^`]+`\)(?: \|\| |$))+$/);
  });
});

describe('the schemas themselves', () => {
  // Guards against a validator that accepts anything (a broken $ref, a wrong draft).
  it('reject files that break them', () => {
    const compose = schemaValidator('compose-spec.json');
    expect(compose({ services: { x: { image: 'a', restart: 5 } } })).toBe(false);
    expect(compose({ services: { x: { image: 'a', extra_hosts: 'oops' } } })).toBe(false);
    expect(schemaValidator('traefik-v3.json')({ entryPoints: { web: { adress: ':80' } } })).toBe(false);
    expect(schemaValidator('traefik-v3.json')({ entryPoints: { web: { transport: { respondingTimeouts: { readTimeout: 0 } } } } })).toBe(
      false,
    );
    expect(
      schemaValidator('traefik-v3-file-provider.json')({ http: { routers: { a: { rule: 'Host(`a`)', tls: { optons: 'x' } } } }, htp: {} }),
    ).toBe(false);
  });
});
