import type { LabModel } from '../../config/model.js';
import { generatedHeader, quoted, toYaml } from '../../render/yaml.js';
import { CONTAINER_PATHS, SERVICE_PORTS } from '../container-paths.js';
import type { HttpRoute, TcpRoute } from '../definition.js';

/**
 * Traefik v3.7 configuration. Routing comes from files only (no Docker provider, no
 * socket in the container). The keys used are a deliberate, small subset that the
 * lab's test double implements too; see REFERENCES.md for the docs of each.
 */

export const ENTRYPOINTS = { web: 'web', websecure: 'websecure', internal: 'traefik' } as const;

/** Static configuration: compose/traefik/traefik.yml, read once at start. */
export function traefikStatic(model: LabModel, tcpRoutes: readonly TcpRoute[]): string {
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
      // One entry point per TCP route (Git over SSH): without TLS there is no SNI to route on.
      ...Object.fromEntries(tcpRoutes.map((r) => [r.name, { address: quoted(`:${r.port}`) }])),
      [ENTRYPOINTS.internal]: { address: quoted(`:${SERVICE_PORTS.traefikInternal}`) },
    },
    providers: { file: { directory: CONTAINER_PATHS.traefikDynamicDir, watch: true } },
  };
  return generatedHeader(['Traefik static configuration, read when the container starts (a change restarts it).']) + toYaml(doc);
}

function host(name: string): string {
  return `Host(\`${name}\`)`;
}

function regexpEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `Host(a) || Host(b)`, plus a HostRegexp for one label below `wildcardUnder`. */
function ruleOf(route: HttpRoute): string {
  const rules = route.hosts.map(host);
  if (route.wildcardUnder) rules.push(`HostRegexp(\`^[a-z0-9-]+\\.${regexpEscape(route.wildcardUnder)}$\`)`);
  return rules.join(' || ');
}

function serviceOf(route: HttpRoute): string {
  return 'internal' in route.upstream ? route.upstream.internal : route.name;
}

/** Dynamic configuration: compose/traefik/dynamic/lab.yml, watched by Traefik. */
export function traefikDynamic(routes: readonly HttpRoute[], tcpRoutes: readonly TcpRoute[]): string {
  const certificate = { certFile: CONTAINER_PATHS.leafCert, keyFile: CONTAINER_PATHS.leafKey };
  const upstreams = routes.flatMap((r) =>
    'alias' in r.upstream ? [{ name: r.name, url: `http://${r.upstream.alias}:${r.upstream.port}` }] : [],
  );
  const doc = {
    http: {
      routers: Object.fromEntries(
        routes.map((r) => [r.name, { rule: ruleOf(r), entryPoints: [ENTRYPOINTS.websecure], service: serviceOf(r), tls: {} }]),
      ),
      services: Object.fromEntries(upstreams.map((u) => [u.name, { loadBalancer: { servers: [{ url: u.url }], passHostHeader: true } }])),
    },
    ...(tcpRoutes.length > 0
      ? {
          // Plain TCP: HostSNI(`*`) is the only rule Traefik allows without TLS.
          // https://doc.traefik.io/traefik/reference/routing-configuration/tcp/router/rules-and-priority/
          tcp: {
            routers: Object.fromEntries(tcpRoutes.map((r) => [r.name, { rule: 'HostSNI(`*`)', entryPoints: [r.name], service: r.name }])),
            services: Object.fromEntries(
              tcpRoutes.map((r) => [r.name, { loadBalancer: { servers: [{ address: `${r.upstream.alias}:${r.upstream.port}` }] } }]),
            ),
          },
        }
      : {}),
    tls: {
      certificates: [certificate],
      stores: { default: { defaultCertificate: certificate } },
      options: { default: { minVersion: 'VersionTLS12' } },
    },
  };
  return generatedHeader(['Traefik routing for the lab hosts; Traefik watches this file and applies changes live.']) + toYaml(doc);
}
