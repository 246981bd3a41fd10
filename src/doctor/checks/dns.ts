import { type LabModel, proxiedHosts } from '../../config/model.js';
import type { EngineEndpoint } from '../../engine/endpoint.js';
import { hostsNotes, isLoopbackIp, resolveHost, resolvePublishedAddress } from '../../host/hosts/entries.js';
import { isRootUser } from '../../host/platform.js';
import { fail } from '../../util/errors.js';
import { duration } from '../run-checks.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

/** Resolver answers that only mean "no such name here", not a broken resolver. */
const NOT_FOUND = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ENODATA']);

/** Where a lab host may point for the lab to be reachable from this machine. */
interface Targets {
  published: string | undefined;
  /** The proxy's own address: reachable directly only with a local engine on Linux. */
  proxy: string | undefined;
}

async function targetsOf(ctx: DoctorContext): Promise<Targets> {
  let endpoint: EngineEndpoint | undefined;
  try {
    endpoint = await ctx.endpoint();
  } catch {
    endpoint = undefined;
  }
  const published = endpoint ? await resolvePublishedAddress(endpoint.publishedHost).catch(() => undefined) : '127.0.0.1';
  const proxy = endpoint?.local && process.platform === 'linux' ? ctx.model.network.proxyIp : undefined;
  return { published, proxy };
}

function roleOf(model: LabModel, host: string): string {
  if (host === model.hosts.gitlab) return 'gitlab';
  if (host === model.hosts.registry) return 'registry';
  if (host === model.hosts.traefik) return 'traefik';
  return 'pages';
}

/** The hosts file belongs to root (Administrator on Windows, where there is no sudo). */
function asAdmin(command: string): string {
  return isRootUser() ? command : `sudo ${command}`;
}

/** The verdict for one host from what the system resolver returned. Pure. */
export function dnsVerdict(
  model: LabModel,
  host: string,
  addresses: string[],
  targets: Targets,
  lab: (args: string) => string,
): CheckOutcome {
  const canProxy = targets.proxy !== undefined;
  const writeCmd = asAdmin(lab(`hosts --write${canProxy ? ' --target proxy' : ''}`));
  if (addresses.length === 0) {
    return { status: 'warn', detail: `${host} does not resolve on this machine`, fix: `Run \`${writeCmd}\` (or add it to your DNS).` };
  }
  const shown = `${host} → ${addresses.join(', ')}`;
  const isRegistry = host === model.hosts.registry;
  const loopback = addresses.filter(isLoopbackIp);
  if (isRegistry && loopback.length > 0) {
    const fix = canProxy
      ? `Point it at the proxy instead: \`${writeCmd}\`.`
      : 'Point it at a non-loopback address of the engine host (its LAN address) in your hosts file or DNS.';
    // The same words `lab hosts` prints for this mapping.
    const trap = hostsNotes(model, [{ ip: loopback[0] ?? '127.0.0.1', host }]).find((n) => n.startsWith(host));
    return {
      status: 'warn',
      detail: trap ?? `${shown}: the Docker daemon treats registries on 127.0.0.0/8 as insecure and skips TLS verification for them`,
      fix,
    };
  }
  const expected = [targets.proxy, targets.published].filter((a): a is string => a !== undefined);
  if (expected.length === 0 || addresses.some((a) => expected.includes(a) || (isLoopbackIp(a) && expected.some(isLoopbackIp)))) {
    const via = targets.proxy !== undefined && addresses.includes(targets.proxy) ? 'the proxy' : 'the published ports';
    return { status: 'ok', detail: `${shown} (${via})` };
  }
  return {
    status: 'warn',
    detail: `${shown}, but the lab answers at ${expected.join(' or ')}`,
    fix: `Run \`${writeCmd}\`, or fix the entry for ${host} in your hosts file or DNS.`,
  };
}

/** One check per lab host: what the system resolver (hosts file, then DNS) says, as browsers and dockerd see it. */
export function dnsChecks(model: LabModel): DoctorCheck[] {
  return proxiedHosts(model.hosts).map(
    (host): DoctorCheck => ({
      id: `dns.${roleOf(model, host)}`,
      title: `${host} resolves`,
      onTimeout: (ms, ctx) => ({
        status: 'warn',
        detail: `${host}: the system resolver did not answer within ${duration(ms)}`,
        fix: `Check the DNS servers in /etc/resolv.conf, or add the lab hosts to the hosts file with \`${asAdmin(ctx.lab('hosts --write'))}\`.`,
      }),
      async run(ctx) {
        const [targets, resolved] = await Promise.all([targetsOf(ctx), resolveHost(host)]);
        if (resolved.error !== undefined && !NOT_FOUND.has(resolved.error)) {
          throw fail(
            `${host}: the system resolver failed (${resolved.error})`,
            'Check the resolver configuration (/etc/resolv.conf, /etc/nsswitch.conf) and the hosts file.',
          );
        }
        return dnsVerdict(model, host, resolved.addresses, targets, ctx.lab);
      },
    }),
  );
}
