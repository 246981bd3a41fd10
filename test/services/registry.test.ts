import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import { containerName } from '../../src/services/definition.js';
import { enabledServices, SERVICE_NAMES, SERVICES } from '../../src/services/registry.js';
import { containerSpecs, desiredStack } from '../../src/stack/desired.js';
import { renderStack } from '../../src/stack/render.js';
import { composeProject, stackView } from '../../src/stack/view.js';
import { runLab } from '../helpers/cli.js';

const model = buildModel(parseConfig('name: demo\ngitlab: { pages: true }\n'), { dir: '/labs/demo' });

describe('the service registry', () => {
  it('holds each service once, named as its container spec, with a summary for --help', () => {
    expect(new Set(SERVICE_NAMES).size).toBe(SERVICES.length);
    for (const s of enabledServices(model)) {
      const spec = s.container(model, stackView(model));
      expect(spec.service).toBe(s.name);
      expect(spec.containerName).toBe(containerName(model, s.name));
      expect(s.summary.length).toBeGreaterThan(10);
    }
  });

  it('serves every routed host with a certificate name and an upstream some service answers for', () => {
    const specs = containerSpecs(model);
    const aliases = new Set(specs.flatMap((s) => s.network.aliases));
    const sans = new Set(model.certs.leafNames);
    const view = stackView(model);
    for (const route of [...view.routes, ...view.tcpRoutes]) {
      if ('alias' in route.upstream) expect(aliases, `${route.name} → ${route.upstream.alias}`).toContain(route.upstream.alias);
    }
    for (const route of view.routes) {
      for (const host of route.hosts) expect(sans, host).toContain(host);
      if (route.wildcardUnder) expect(sans).toContain(`*.${route.wildcardUnder}`);
    }
  });

  it('gives the engine every named volume a service mounts, and compose one file per service', async () => {
    const desired = await desiredStack(model);
    const mounted = containerSpecs(model).flatMap((s) => s.mounts.filter((m) => m.type === 'volume').map((m) => m.source));
    expect(desired.volumes.sort()).toEqual([...new Set(mounted)].sort());
    const paths = renderStack(model).map((f) => f.path.slice(model.paths.dir.length + 1));
    expect(paths.filter((p) => p.startsWith('compose/') && !p.startsWith('compose/traefik/'))).toEqual(composeProject(model).files);
    expect(composeProject(model).files).toEqual(SERVICE_NAMES.map((n) => `compose/${n}.yml`));
  });

  it('names the services in `lab logs` errors from the registry', async () => {
    const r = await runLab(['logs', 'nope']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`The services are ${SERVICE_NAMES.join(', ')}.`);
  });
});
