import type { LabModel } from '../config/model.js';
import { CONTAINER_PATHS, SERVICE_PORTS } from './constants.js';
import { generatedHeader, quoted, toYaml } from './yaml.js';

/**
 * Traefik v3.7 configuration. Routing comes from files only (no Docker provider, no
 * socket in the container). The keys used are a deliberate, small subset that the
 * lab's test fixture implements too; see REFERENCES.md for the docs of each.
 */

export const ENTRYPOINTS = { web: 'web', websecure: 'websecure', internal: 'traefik' } as const;

/** Static configuration: compose/traefik/traefik.yml, read once at start. */
export function traefikStatic(model: LabModel): string {
  const doc = {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    log: { level: 'INFO' },
    // The dashboard is routed like any other site (see the dynamic file), never `insecure`.
    api: { dashboard: true },
    // `traefik healthcheck --ping` (the container's healthcheck) asks this entrypoint.
    ping: { entryPoint: ENTRYPOINTS.internal },
    entryPoints: {
      [ENTRYPOINTS.web]: {
        address: quoted(`:${model.ports.http}`),
        http: { redirections: { entryPoint: { to: ENTRYPOINTS.websecure, scheme: 'https', permanent: true } } },
      },
      [ENTRYPOINTS.websecure]: {
        address: quoted(`:${model.ports.https}`),
        transport: {
          respondingTimeouts: {
            // Traefik v3 reads a request for at most 60 s by default, which cuts off a
            // `docker push` of a big layer (traefik/traefik#10741); 0 means no limit.
            readTimeout: '0s',
            writeTimeout: '0s',
            idleTimeout: '180s',
          },
        },
      },
      [ENTRYPOINTS.internal]: { address: quoted(`:${SERVICE_PORTS.traefikInternal}`) },
    },
    providers: { file: { directory: CONTAINER_PATHS.traefikDynamicDir, watch: true } },
  };
  return generatedHeader(['Traefik static configuration, read when the container starts (a change restarts it).']) + toYaml(doc);
}

interface Route {
  name: string;
  rule: string;
  service: string;
}

function host(name: string): string {
  return `Host(\`${name}\`)`;
}

function regexpEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function routes(model: LabModel): Route[] {
  const list: Route[] = [
    { name: 'gitlab', rule: host(model.hosts.gitlab), service: 'gitlab' },
    { name: 'registry', rule: host(model.hosts.registry), service: 'registry' },
    { name: 'dashboard', rule: host(model.hosts.traefik), service: 'api@internal' },
  ];
  if (model.hosts.pages) {
    // Project sites live one label below the Pages host, as the leaf's *.<pages> SAN covers.
    const wildcard = `HostRegexp(\`^[a-z0-9-]+\\.${regexpEscape(model.hosts.pages)}$\`)`;
    list.push({ name: 'pages', rule: `${host(model.hosts.pages)} || ${wildcard}`, service: 'pages' });
  }
  return list;
}

/** Upstreams inside the lab network, by the containers' network aliases. */
function upstreams(model: LabModel): Record<string, string> {
  return {
    gitlab: `http://gitlab:${SERVICE_PORTS.gitlabHttp}`,
    registry: `http://gitlab:${SERVICE_PORTS.registryHttp}`,
    ...(model.hosts.pages ? { pages: `http://gitlab:${SERVICE_PORTS.pagesHttp}` } : {}),
  };
}

/** Dynamic configuration: compose/traefik/dynamic/lab.yml, watched by Traefik. */
export function traefikDynamic(model: LabModel): string {
  const certificate = { certFile: CONTAINER_PATHS.leafCert, keyFile: CONTAINER_PATHS.leafKey };
  const doc = {
    http: {
      routers: Object.fromEntries(
        routes(model).map((r) => [r.name, { rule: r.rule, entryPoints: [ENTRYPOINTS.websecure], service: r.service, tls: {} }]),
      ),
      services: Object.fromEntries(
        Object.entries(upstreams(model)).map(([name, url]) => [name, { loadBalancer: { servers: [{ url }], passHostHeader: true } }]),
      ),
    },
    tls: {
      certificates: [certificate],
      stores: { default: { defaultCertificate: certificate } },
      options: { default: { minVersion: 'VersionTLS12' } },
    },
  };
  return generatedHeader(['Traefik routing for the lab hosts; Traefik watches this file and applies changes live.']) + toYaml(doc);
}
