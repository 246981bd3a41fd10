import { type LabModel, registryAddress } from '../config/model.js';
import type { EngineEndpoint } from '../engine/endpoint.js';
import { readOptional } from '../util/fs.js';
import { resolveHost } from './hosts/entries.js';
import { dockerCaFile } from './trust/docker.js';
import { isSameCertificate } from './trust/lab-ca.js';

/**
 * With the socket strategy, `docker login`, `build`, `push`, `pull` and every
 * `image: registry.<domain>/…` of a job run in the engine host's own daemon. That daemon
 * resolves names with the host's resolver (the job's extra_hosts change nothing for it),
 * must resolve gitlab.<domain> too (the registry's token service), and trusts only the
 * host's /etc/docker/certs.d (the job's mounted certs.d changes nothing either).
 * https://docs.docker.com/engine/security/certificates/
 */
export interface DaemonFinding {
  what: string;
  status: 'ok' | 'missing' | 'unknown';
  detail: string;
  /** The command that fixes it. */
  fix?: string;
}

export interface DaemonContext {
  model: LabModel;
  endpoint: EngineEndpoint;
  /** `lab` with the user's --dir, so the fixes paste as printed. */
  lab(args: string): string;
  /** The CA certificate (DER) the daemon must trust. */
  caDer: Buffer;
}

/** What the engine host's daemon lacks for jobs in socket mode; empty findings mean nothing to check. */
export async function socketDaemonFindings(ctx: DaemonContext): Promise<DaemonFinding[]> {
  const { model, endpoint } = ctx;
  const registry = registryAddress(model);
  if (!endpoint.local || process.platform !== 'linux') {
    const where = endpoint.local ? 'the Docker VM of this machine' : `the engine host ${endpoint.publishedHost}`;
    return [
      {
        what: 'engine host daemon',
        status: 'unknown',
        detail: `jobs build and push through the daemon on ${where}, which lab cannot inspect: it must resolve ${model.hosts.gitlab} and ${model.hosts.registry} and trust the lab CA for ${registry}`,
        fix: `On that host: map the names (\`${ctx.lab('hosts')}\` prints the lines) and put the CA at ${dockerCaFile(model)}.`,
      },
    ];
  }
  const findings: DaemonFinding[] = [];
  for (const host of [model.hosts.gitlab, model.hosts.registry]) {
    const r = await resolveHost(host);
    findings.push(
      r.error === undefined
        ? { what: `${host} resolves`, status: 'ok', detail: `${host} → ${r.addresses.join(', ')}` }
        : {
            what: `${host} resolves`,
            status: 'missing',
            detail: `the engine host's daemon cannot resolve ${host} (${r.error}); jobs' docker login and push fail with "no such host"`,
            fix: `\`${ctx.lab('hosts --write')}\``,
          },
    );
  }
  const installed = await readOptional(dockerCaFile(model));
  findings.push(
    isSameCertificate(installed, ctx.caDer)
      ? { what: `the daemon trusts ${registry}`, status: 'ok', detail: `${dockerCaFile(model)} holds the lab CA` }
      : {
          what: `the daemon trusts ${registry}`,
          status: 'missing',
          detail: `${dockerCaFile(model)} ${installed === undefined ? 'does not exist' : 'holds another certificate'}; jobs' docker login fails with "x509: certificate signed by unknown authority"`,
          fix: `\`${ctx.lab('trust --docker')}\``,
        },
  );
  return findings;
}
