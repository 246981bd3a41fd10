import { lookup } from 'node:dns/promises';
import { proxiedHosts, type LabModel } from '../../config/model.js';
import type { EngineEndpoint } from '../../engine/endpoint.js';
import { hostsNotes, isLoopback, resolvePublishedAddress } from '../../host/hosts.js';
import { isRootUser } from '../../host/platform.js';
import { errnoCode } from '../../util/errors.js';
import { duration } from '../runner.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

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
export function dnsVerdict(model: LabModel, host: string, addresses: string[], targets: Targets, lab: (args: string) => string): CheckOutcome {
  const canProxy = targets.proxy !== undefined;
  const writeCmd = asAdmin(lab(`hosts --write${canProxy ? ' --target proxy' : ''}`));
  if (addresses.length === 0) {
    return { status: 'warn', detail: `${host} does not resolve on this machine`, fix: `Run \`${writeCmd}\` (or add it to your DNS).` };
  }
  const shown = `${host} → ${addresses.join(', ')}`;
  const isRegistry = host === model.hosts.registry;
  const loopback = addresses.filter(isLoopback);
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
  if (expected.length === 0 || addresses.some((a) => expected.includes(a) || (isLoopback(a) && expected.some(isLoopback)))) {
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
      onTimeout: (ms) => ({ status: 'warn', detail: `${host}: the system resolver did not answer within ${duration(ms)}`, fix: 'Check the DNS servers in /etc/resolv.conf, or add the lab hosts to the hosts file with `lab hosts --write`.' }),
      async run(ctx) {
        const targets = await targetsOf(ctx);
        let addresses: string[];
        try {
          addresses = [...new Set((await lookup(host, { all: true })).map((a) => a.address))];
        } catch (err) {
          const code = errnoCode(err);
          if (code !== 'ENOTFOUND' && code !== 'EAI_AGAIN' && code !== 'ENODATA') throw err;
          addresses = [];
        }
        return dnsVerdict(model, host, addresses, targets, ctx.lab);
      },
    }),
  );
}
