import { X509Certificate } from 'node:crypto';
import { type CertFacts, inspectCertificate } from '../../certs/inspect.js';
import { errnoCode } from '../../util/errors.js';
import { readOptional } from '../../util/fs.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from '../types.js';

const DAY = 86_400_000;
/** Renew before this: browsers and tools start failing the day it runs out. */
export const EXPIRY_WARN_DAYS = 30;

interface Loaded {
  x509: X509Certificate;
  facts: CertFacts;
}

/** The certificate in a PEM file, `missing`, or `unreadable`. */
async function load(path: string): Promise<Loaded | 'missing' | 'unreadable'> {
  let data: Buffer | undefined;
  try {
    data = await readOptional(path);
  } catch (err) {
    if (errnoCode(err) === 'EACCES' || errnoCode(err) === 'EPERM') return 'unreadable';
    throw err;
  }
  if (data === undefined) return 'missing';
  try {
    const x509 = new X509Certificate(data);
    return { x509, facts: inspectCertificate(x509.raw) };
  } catch {
    return 'unreadable';
  }
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** ok / warn (under 30 days) / fail (expired or not yet valid) for one validity period. Pure. */
export function expiryVerdict(what: string, facts: Pick<CertFacts, 'notBefore' | 'notAfter'>, now: Date, renew: string): CheckOutcome {
  const left = Math.floor((facts.notAfter.getTime() - now.getTime()) / DAY);
  if (facts.notAfter.getTime() <= now.getTime()) return { status: 'fail', detail: `${what} expired on ${day(facts.notAfter)}`, fix: renew };
  if (facts.notBefore.getTime() > now.getTime()) {
    return {
      status: 'fail',
      detail: `${what} is not valid before ${facts.notBefore.toISOString()}`,
      fix: 'Check the system clock (and the engine VM clock on Docker Desktop or Podman machines).',
    };
  }
  if (left < EXPIRY_WARN_DAYS)
    return { status: 'warn', detail: `${what} expires in ${left} day${left === 1 ? '' : 's'} (${day(facts.notAfter)})`, fix: renew };
  return { status: 'ok', detail: `${what} valid until ${day(facts.notAfter)} (${left} days)` };
}

export const caCertCheck: DoctorCheck = {
  id: 'certs.ca',
  title: 'lab CA certificate',
  async run(ctx) {
    const path = ctx.model.paths.caCert;
    const ca = await load(path);
    if (ca === 'missing')
      return {
        status: 'fail',
        detail: `no CA certificate at ${path}`,
        fix: `Run \`${ctx.lab('certs')}\` (or \`${ctx.lab('up')}\`, which creates it).`,
      };
    if (ca === 'unreadable')
      return {
        status: 'fail',
        detail: `${path} is not a readable certificate`,
        fix: `Restore it, or replace the CA with \`${ctx.lab('certs --new-ca')}\` (then trust it again with \`${ctx.lab('trust')}\`).`,
      };
    return expiryVerdict(
      `the CA (${path})`,
      ca.facts,
      new Date(),
      `Replace it with \`${ctx.lab('certs --new-ca')}\`, then \`${ctx.lab('up')}\` and \`${ctx.lab('trust')}\` again.`,
    );
  },
};

/** The leaf Traefik serves: present, not expired, issued by this CA, and naming every lab host. */
export const leafCertCheck: DoctorCheck = {
  id: 'certs.leaf',
  title: 'lab TLS certificate',
  async run(ctx: DoctorContext) {
    const { paths, certs } = ctx.model;
    const renew = `Run \`${ctx.lab('certs --renew')}\`, then \`${ctx.lab('up')}\` so the proxy serves it.`;
    const leaf = await load(paths.leafCert);
    if (leaf === 'missing')
      return {
        status: 'fail',
        detail: `no TLS certificate at ${paths.leafCert}`,
        fix: `Run \`${ctx.lab('certs')}\` (or \`${ctx.lab('up')}\`).`,
      };
    if (leaf === 'unreadable') return { status: 'fail', detail: `${paths.leafCert} is not a readable certificate`, fix: renew };
    const verdict = expiryVerdict(`the certificate (${paths.leafCert})`, leaf.facts, new Date(), renew);
    if (verdict.status === 'fail') return verdict;
    const ca = await load(paths.caCert);
    if (typeof ca !== 'string' && !(leaf.x509.checkIssued(ca.x509) && leaf.x509.verify(ca.x509.publicKey))) {
      return {
        status: 'fail',
        detail: `${paths.leafCert} was not issued by the lab CA ${paths.caCert}: clients that trust the CA reject it`,
        fix: renew,
      };
    }
    const missing = certs.leafNames.filter((n) => !leaf.facts.altNames.includes(n));
    if (missing.length > 0) {
      return {
        status: 'warn',
        detail: `${verdict.detail}, but it does not name ${missing.join(', ')}`,
        fix: `Run \`${ctx.lab('certs')}\` to reissue it for the current hosts, then \`${ctx.lab('up')}\`.`,
      };
    }
    return verdict;
  },
};
