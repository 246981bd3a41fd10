import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LabModel, proxiedHosts, publicUrl, registryAddress } from '../../src/config/model.js';
import type { RenderedFile } from '../../src/render/files.js';
import { renderStack as renderFiles } from '../../src/stack/render.js';
import { at, file, GOLDEN_DIR, modelOf, RENDERED_FILES, renderByPath, tomlOf, unescapeCompose, yamlOf } from '../helpers/stack.js';
import { tempDir } from '../helpers/tmp.js';

// Golden files pin the exact bytes; the checks below the byte comparison read the files
// back and hold them against the model, so a golden file cannot quietly bless a bug.
// Refresh after an intended change: LAB_UPDATE_GOLDEN=1 npx vitest run test/stack/golden.test.ts
const UPDATE = process.env.LAB_UPDATE_GOLDEN === '1';
const LAB_DIR_TOKEN = '<LAB_DIR>';

const CASES = [
  { name: 'default', labYml: '' },
  { name: 'custom', labYml: readFileSync(join(GOLDEN_DIR, 'custom.lab.yml'), 'utf8') },
];

/**
 * Where the golden copy of a rendered file lives. The suffix and dot-lab/ keep the copies
 * clear of the lab-folder patterns in .gitignore (`lab.yml`, `.lab/`).
 */
function goldenPath(caseName: string, relPath: string): string {
  return join(GOLDEN_DIR, caseName, `${relPath.replace(/^\.lab\//, 'dot-lab/')}.golden`);
}

describe.each(CASES)('rendering the $name lab', ({ name, labYml }) => {
  it('matches the golden files byte for byte (lab folder normalised)', async () => {
    const dir = await tempDir();
    const model = modelOf(labYml, dir);
    const files = renderByPath(model);
    // The dind strategy also renders the dind service's daemon.json.
    const extra = model.runner.docker === 'dind' ? ['.lab/runner/dind-daemon.json'] : [];
    expect([...files.keys()]).toEqual([...RENDERED_FILES, ...extra]);
    for (const [rel, rendered] of files) {
      const actual = rendered.content.split(dir).join(LAB_DIR_TOKEN);
      const golden = goldenPath(name, rel);
      if (UPDATE) {
        mkdirSync(dirname(golden), { recursive: true });
        writeFileSync(golden, actual);
      }
      expect(existsSync(golden), `missing ${golden}; create it with LAB_UPDATE_GOLDEN=1`).toBe(true);
      expect(actual, rel).toBe(readFileSync(golden, 'utf8'));
    }
  });

  it('is deterministic: the same model renders the same bytes', async () => {
    const dir = await tempDir();
    const first = renderByPath(modelOf(labYml, dir));
    const second = renderByPath(modelOf(labYml, dir));
    for (const [rel, f] of first) expect(second.get(rel)?.content).toBe(f.content);
  });

  it('writes compose files that parse back to the model', async () => {
    const dir = await tempDir();
    const model = modelOf(labYml, dir);
    checkCompose(model, renderByPath(model));
  });

  it('writes Traefik files that route every lab host', async () => {
    const dir = await tempDir();
    const model = modelOf(labYml, dir);
    checkTraefik(model, renderByPath(model));
  });

  it('writes a runner config.toml that parses back to the model', async () => {
    const dir = await tempDir();
    const model = modelOf(labYml, dir);
    const files = renderByPath(model, 'glrt-golden-token-123');
    checkRunner(model, files.get('.lab/runner/config.toml'), 'glrt-golden-token-123');
  });

  it('gives jobs a certs.d tree with the CA once the CA exists', async () => {
    const dir = await tempDir();
    const model = modelOf(labYml, dir);
    const pem = '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n';
    const files = renderFiles(model, { caCert: pem });
    const ca = files.find((f) => f.path === join(model.paths.runnerDir, 'certs.d', registryAddress(model), 'ca.crt'));
    expect(ca?.content).toBe(pem);
    // Without a CA there is nothing to copy, and nothing is invented.
    expect(renderFiles(model).some((f) => f.path.includes('certs.d'))).toBe(false);
  });
});

function checkCompose(model: LabModel, files: Map<string, RenderedFile>): void {
  const hostsList = proxiedHosts(model.hosts).map((h) => `${h}:${model.network.proxyIp}`);
  for (const service of ['traefik', 'gitlab', 'runner'] as const) {
    const doc = yamlOf(file(files, `compose/${service}.yml`));
    expect(doc.name).toBe(model.name);
    expect(Object.keys(at(doc, 'services') as object)).toEqual([service]);
    expect(at(doc, 'services', service, 'image')).toBe(model.images[service]);
    expect(at(doc, 'services', service, 'restart')).toBe('unless-stopped');
    expect(at(doc, 'services', service, 'container_name')).toBeUndefined();
    expect(at(doc, 'services', service, 'extra_hosts')).toEqual(hostsList);
    expect(at(doc, 'networks', model.network.name)).toEqual({ name: model.network.name, external: true });
    expect(Object.keys(at(doc, 'services', service, 'networks') as object)).toEqual([model.network.name]);
    expect(at(doc, 'services', service, 'networks', model.network.name, 'aliases')).toEqual([service]);
  }

  const traefik = yamlOf(file(files, 'compose/traefik.yml'));
  const t = at(traefik, 'services', 'traefik');
  // Same port inside and out: https://gitlab.<domain>:<port> means the same in jobs and on the host,
  // and so does ssh://git@gitlab.<domain>:<ssh port> on Traefik's TCP entry point.
  expect(at(t, 'ports')).toEqual([
    `${model.ports.http}:${model.ports.http}`,
    `${model.ports.https}:${model.ports.https}`,
    `${model.ports.ssh}:${model.ports.ssh}`,
  ]);
  expect(at(t, 'networks', model.network.name, 'ipv4_address')).toBe(model.network.proxyIp);
  expect(at(t, 'volumes')).toEqual([
    { type: 'bind', source: './traefik', target: '/etc/traefik', read_only: true },
    { type: 'bind', source: '../certs/tls', target: '/etc/lab/tls', read_only: true },
  ]);
  expect(at(t, 'healthcheck', 'test')).toEqual(['CMD', 'traefik', 'healthcheck', '--ping']);

  const gitlab = yamlOf(file(files, 'compose/gitlab.yml'));
  const g = at(gitlab, 'services', 'gitlab');
  // GitLab publishes nothing: SSH goes through the proxy.
  expect(at(g, 'ports')).toBeUndefined();
  expect(at(g, 'shm_size')).toBe('256m');
  expect(at(g, 'stop_grace_period')).toBe('120s');
  expect(at(g, 'env_file')).toEqual([{ path: '../.lab/secrets/gitlab.env', required: false }]);
  expect(at(g, 'networks', model.network.name, 'ipv4_address')).toBeUndefined();
  const env = at(g, 'environment') as Record<string, string>;
  // Compose would interpolate a lone `$`; every literal one must be doubled.
  for (const [k, v] of Object.entries(env)) expect(v.replace(/\$\$/g, ''), k).not.toContain('$');
  for (const [k, v] of Object.entries(model.gitlab.environment)) expect(unescapeCompose(env[k] ?? '')).toBe(v);
  expect(env.GITLAB_ROOT_PASSWORD).toBeUndefined();
  const omnibus = unescapeCompose(env.GITLAB_OMNIBUS_CONFIG ?? '');
  expect(omnibus).toContain(`external_url '${publicUrl(model, model.hosts.gitlab)}'`);
  expect(omnibus).toContain(`registry_external_url '${publicUrl(model, model.hosts.registry)}'`);
  expect(omnibus).toContain(`gitlab_rails['gitlab_shell_ssh_port'] = ${model.ports.ssh}`);
  expect(omnibus).toContain(`'${model.network.subnet}'`);
  // extraConfig comes last, verbatim (a `$` survives compose's interpolation escape).
  expect(omnibus.trimEnd().endsWith(model.gitlab.extraConfig.join('\n').trimEnd())).toBe(true);
  const volumes = { config: model.volumes.gitlabConfig, logs: model.volumes.gitlabLogs, data: model.volumes.gitlabData };
  for (const name of Object.values(volumes)) expect(at(gitlab, 'volumes', name)).toEqual({ name, external: true });
  expect(at(g, 'volumes')).toContainEqual({ type: 'volume', source: volumes.data, target: '/var/opt/gitlab' });
  expect(at(g, 'volumes')).toContainEqual({
    type: 'bind',
    source: '../certs/tls/ca.pem',
    target: '/etc/gitlab/trusted-certs/lab-ca.crt',
    read_only: true,
  });

  const runner = yamlOf(file(files, 'compose/runner.yml'));
  const r = at(runner, 'services', 'runner');
  expect(at(r, 'ports')).toBeUndefined();
  expect(at(r, 'volumes')).toEqual([
    { type: 'bind', source: '../.lab/runner', target: '/etc/gitlab-runner' },
    { type: 'bind', source: '../certs/tls/ca.pem', target: '/etc/lab/ca.pem', read_only: true },
    { type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
  ]);
}

function checkTraefik(model: LabModel, files: Map<string, RenderedFile>): void {
  const staticCfg = yamlOf(file(files, 'compose/traefik/traefik.yml'));
  expect(at(staticCfg, 'entryPoints', 'web', 'address')).toBe(`:${model.ports.http}`);
  expect(at(staticCfg, 'entryPoints', 'web', 'http', 'redirections', 'entryPoint')).toEqual({
    to: 'websecure',
    scheme: 'https',
    permanent: true,
  });
  expect(at(staticCfg, 'entryPoints', 'websecure', 'address')).toBe(`:${model.ports.https}`);
  expect(at(staticCfg, 'entryPoints', 'websecure', 'transport', 'respondingTimeouts', 'readTimeout')).toBe('0s');
  expect(at(staticCfg, 'ping', 'entryPoint')).toBe('traefik');
  expect(at(staticCfg, 'providers', 'file')).toEqual({ directory: '/etc/traefik/dynamic', watch: true });
  expect(at(staticCfg, 'providers', 'docker')).toBeUndefined();

  const dyn = yamlOf(file(files, 'compose/traefik/dynamic/lab.yml'));
  const routers = at(dyn, 'http', 'routers') as Record<string, Record<string, unknown>>;
  const services = at(dyn, 'http', 'services') as Record<string, unknown>;
  const routeOf = (host: string) => Object.values(routers).find((r) => String(r.rule).includes(`Host(\`${host}\`)`));
  const upstream = (service: unknown) => at(services, String(service), 'loadBalancer', 'servers', 0, 'url');
  expect(upstream(routeOf(model.hosts.gitlab)?.service)).toBe('http://gitlab:80');
  expect(upstream(routeOf(model.hosts.registry)?.service)).toBe('http://gitlab:5050');
  expect(routeOf(model.hosts.traefik)?.service).toBe('api@internal');
  for (const r of Object.values(routers)) {
    expect(r.entryPoints).toEqual(['websecure']);
    expect(r.tls).toEqual({});
  }
  if (model.hosts.pages) {
    const pages = routeOf(model.hosts.pages);
    expect(upstream(pages?.service)).toBe('http://gitlab:8090');
    // The HostRegexp must accept a project site one label below the Pages host, nothing else.
    const re = /HostRegexp\(`([^`]+)`\)/.exec(String(pages?.rule))?.[1];
    expect(re).toBeDefined();
    const matcher = new RegExp(re ?? '$^');
    expect(matcher.test(`my-group.${model.hosts.pages}`)).toBe(true);
    expect(matcher.test(`a.b.${model.hosts.pages}`)).toBe(false);
    expect(matcher.test(`my-group.${model.hosts.pages}.evil.test`)).toBe(false);
    expect(matcher.test(`my-groupx${model.hosts.pages}`)).toBe(false);
  } else {
    expect(Object.keys(routers)).toHaveLength(3);
    expect(services.pages).toBeUndefined();
  }
  const cert = { certFile: '/etc/lab/tls/lab.pem', keyFile: '/etc/lab/tls/lab-key.pem' };
  expect(at(dyn, 'tls', 'certificates')).toEqual([cert]);
  expect(at(dyn, 'tls', 'stores', 'default', 'defaultCertificate')).toEqual(cert);
}

function checkRunner(model: LabModel, rendered: RenderedFile | undefined, token: string): void {
  expect(rendered?.mode).toBe(0o600);
  const toml = tomlOf(rendered?.content ?? '');
  expect(toml.concurrent).toBe(model.runner.concurrent);
  expect(toml.check_interval).toBe(3);
  const runners = toml.runners as Record<string, unknown>[];
  expect(runners).toHaveLength(1);
  const r = runners[0] ?? {};
  expect(r.url).toBe(publicUrl(model, model.hosts.gitlab));
  expect(r.token).toBe(token);
  expect(r.executor).toBe('docker');
  expect(r['tls-ca-file']).toBe('/etc/lab/ca.pem');
  // Every job gets a network of its own and reaches the lab hosts through the engine host.
  expect(r.feature_flags).toEqual({ FF_NETWORK_PER_BUILD: true });
  expect(r.pre_build_script).toContain('update-ca-certificates');
  const docker = r.docker as Record<string, unknown>;
  expect(docker.image).toBe(model.runner.defaultImage);
  expect(docker.network_mode).toBeUndefined();
  expect(docker.extra_hosts).toEqual(proxiedHosts(model.hosts).map((h) => `${h}:host-gateway`));
  // No job is privileged in any mode; dind privileges only its service image.
  expect(docker.privileged).toBe(false);
  expect(docker.services_privileged).toBe(model.runner.docker === 'dind' ? true : undefined);
  expect(docker.pull_policy).toBe(model.runner.pullPolicy);
  const volumes = docker.volumes as string[];
  // The certs.d tree is rendered next to config.toml (a port in a folder name can't be a volume target).
  expect(volumes).toContain(`${model.paths.runnerDir}/certs.d:/etc/docker/certs.d:ro`);
  expect(volumes.includes(`${model.runner.dockerSocket}:/var/run/docker.sock`)).toBe(model.runner.docker === 'socket');
  for (const v of volumes) expect(v).not.toContain(model.paths.caroot);
}
