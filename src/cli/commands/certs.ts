import { existsSync, readFileSync } from 'node:fs';
import type { IssuedPair } from '../../certs/builder.js';
import type { CertsReport } from '../../certs/index.js';
import { KeyPool } from '../../certs/keys.js';
import { displayPath, labPaths } from '../../config/layout.js';
import type { CliContext } from '../context.js';
import { carootOf, loadLabFor } from '../lab.js';
import { withLock } from '../lock.js';

export interface CertsCommandOptions {
  newCa?: boolean;
  renew?: boolean;
  newKey?: boolean;
  caroot?: string;
  builder?: string;
  json?: boolean;
}

/**
 * `lab certs`: mint or reuse the CA, then reuse or (re)issue the leaf.
 * Exit codes follow the rule written down in src/certs/errors.ts.
 */
export default async function certs(options: CertsCommandOptions, ctx: CliContext): Promise<number> {
  const caroot = carootOf(ctx.env, options.caroot);
  const keys = new KeyPool();
  prefetchKeys(keys, ctx.dir, caroot, options);

  // Imported only now, so that valibot, yaml and the rest load while the key generates.
  const [{ model }, { ensureCerts }] = await Promise.all([loadLabFor(ctx, caroot), import('../../certs/index.js')]);
  const { report, builder } = await withLock(model, 'certs', ctx, async () => {
    const report = await ensureCerts(model, {
      newCa: options.newCa === true,
      renew: options.renew === true,
      newKey: options.newKey === true,
      keys,
    });
    if (options.builder === undefined) return { report, builder: undefined };
    const { ensureBuilderCerts, dockerdTlsFlags } = await import('../../certs/builder.js');
    const pair = (await ensureBuilderCerts(model, { server: options.builder, keys })).server;
    return { report, builder: pair ? { ...pair, dockerd: dockerdTlsFlags(BUILDER_TLS_DIR) } : undefined };
  });

  if (options.json) ctx.out.json({ ...(toJson(report) as object), ...(builder ? { builder } : {}) });
  else {
    printReport(report, ctx);
    if (builder) printBuilder(builder, ctx);
  }
  for (const warning of report.warnings) ctx.out.warn(`${ctx.out.style.yellow('warning:')} ${warning}`);
  return 0;
}

/**
 * RSA keys take 0.1–1 s to generate, so lab starts the one it will certainly need
 * before loading lab.yml, node-forge and the rest: the key grows on OpenSSL's thread
 * pool meanwhile. Only certain needs count (a wrong guess would delay the exit).
 * When the CA is missing (or --new-ca), only the CA key starts here: ensureCerts
 * starts the leaf key once this thread is done loading, so that on two cores the
 * long CA keygen never shares a core. Otherwise --new-key or a missing leaf starts
 * the leaf key (a reissue keeps the key it has). The CA folder is unknown here when
 * lab.yml sets certs.caroot; then nothing is guessed about the CA.
 */
function prefetchKeys(keys: KeyPool, dir: string, caroot: string | undefined, options: CertsCommandOptions): void {
  const paths = labPaths(dir, caroot);
  const caFolderKnown = caroot !== undefined || !configSetsCaroot(dir);
  const noCa = caFolderKnown && !existsSync(paths.caCert) && !existsSync(paths.caKey);
  if (options.newCa || noCa) keys.start('ca');
  else if (options.newKey || !existsSync(paths.leafCert) || !existsSync(paths.leafKey)) keys.start('leaf');
}

/** A cheap look for an uncommented `caroot:` key; a false alarm only skips the head start. */
function configSetsCaroot(dir: string): boolean {
  try {
    const text = readFileSync(labPaths(dir).configFile, 'utf8');
    return text.split('\n').some((line) => /(^|[\s{,])caroot\s*:/.test(line.replace(/#.*$/, '')));
  } catch {
    return false;
  }
}

function printReport(report: CertsReport, ctx: CliContext): void {
  const { out } = ctx;
  const s = out.style;
  const { ca, leaf } = report;
  const date = (d: Date) => d.toISOString().slice(0, 10);
  const days = (d: Date) => Math.floor((d.getTime() - Date.now()) / 86_400_000);
  const verb = (action: string) => (action === 'reused' ? s.dim(action) : s.green(action));

  const caWhy = ca.reason ? ` (${ca.reason})` : ca.shared ? ' (shared)' : '';
  out.result(`CA    ${verb(ca.action)} ${displayPath(ca.certPath)}${caWhy}`);
  out.result(`      SHA-256 ${ca.fingerprint256}`);
  out.result(`      ${ca.subject}; valid until ${date(ca.notAfter)}`);
  out.result(
    `      may vouch for: ${ca.permitted ? ca.permitted.join(', ') : s.yellow('any name (no name constraints, e.g. an mkcert CA)')}`,
  );
  const leafWhy = leaf.reason ? ` (${leaf.reason})` : '';
  out.result(`leaf  ${verb(leaf.action)} ${displayPath(leaf.certPath)}${leafWhy}`);
  out.result(`      SANs: ${leaf.names.join(', ')}`);
  out.result(`      expires ${date(leaf.notAfter)} (in ${days(leaf.notAfter)} days)`);
  if (report.tlsCa.action !== 'unchanged')
    out.info(`      ${report.tlsCa.action} ${displayPath(report.tlsCa.path)} (the CA copy for containers)`);
  if (ca.action !== 'reused') out.info(`Trust the new CA with \`lab trust\`.`);
}

/** Where the certificates go on the builder, in the printed instructions. */
const BUILDER_TLS_DIR = '/etc/docker/lab-tls';

/** Where the pair lies and how to start dockerd with it on the builder. */
function printBuilder(pair: IssuedPair & { dockerd: string[] }, ctx: CliContext): void {
  const { out } = ctx;
  const on = BUILDER_TLS_DIR;
  out.result(`builder ${pair.action} ${displayPath(pair.dir)} (ca.pem, server-cert.pem, server-key.pem)`);
  out.result(`      SANs: ${pair.names.join(', ')}`);
  out.info(`Copy the folder to the builder and start its engine with TLS, for example:`);
  out.info(`  scp -r ${displayPath(pair.dir)} ${pair.names[0] ?? 'builder'}:${on}`);
  out.info(`  dockerd ${pair.dockerd.join(' ')}`);
  out.info('Jobs reach it with a client certificate that `lab up` mints from the lab CA (runner.docker: remote).');
}

function toJson(report: CertsReport): unknown {
  // Dates become ISO strings through JSON.stringify; null keeps "no constraints" explicit.
  return {
    ...report,
    ca: { ...report.ca, reason: report.ca.reason ?? null },
    leaf: { ...report.leaf, reason: report.leaf.reason ?? null },
  };
}
