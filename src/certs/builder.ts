import { join } from 'node:path';
import type { LabModel } from '../config/model.js';
import { fail, UsageError } from '../util/errors.js';
import { writeIfChanged } from '../util/fs.js';
import { describeSubtrees, violations } from './constraints.js';
import { replaceAll } from './files.js';
import { ipBytes } from './ip.js';
import { KeyPool, privateKeyPem } from './keys.js';
import { judgeLeaf, LEAF_CERT_MODE, LEAF_KEY_MODE } from './leaf.js';
import { type LoadedCa, loadCa } from './load.js';
import { leafProfile } from './profile.js';
import { buildCertificate, loadForge, selfCheck, toPem } from './x509.js';

/**
 * TLS for a remote build engine (`runner.docker: remote`), signed by the lab CA: the
 * engine's server certificate (`lab certs --builder <name>`), and the client certificate
 * jobs present to it (EKU clientAuth), in Docker's file layout. Docker's protection of the
 * daemon socket: https://docs.docker.com/engine/security/protect-access/
 */

/** The days a builder certificate lives; renewed like the leaf when fewer than 30 remain. */
const DAYS = 365;

export interface IssuedPair {
  action: 'created' | 'reused' | 'renewed';
  reason: string | undefined;
  dir: string;
  cert: string;
  key: string;
  ca: string;
  names: string[];
}

/** `builder` → `builder.<domain>`; a full name or an address stays as it is. Bad input is exit 2. */
export function builderName(model: LabModel, ca: LoadedCa, name: string): string {
  const full = ipBytes(name) || name.includes('.') ? name : `${name}.${model.domain}`;
  if (!/^[a-z0-9.-]+$/.test(full) && !ipBytes(full)) {
    throw new UsageError(
      `--builder "${name}" is not a host name or address`,
      'Use a name such as "builder" (it becomes builder.<domain>) or an IP address.',
    );
  }
  const constraints = ca.facts.nameConstraints;
  if (constraints && violations(constraints, [full]).length > 0) {
    throw new UsageError(
      `--builder "${full}" lies outside what the lab CA may vouch for (${describeSubtrees(constraints.permitted).join(', ')})`,
      `Name the builder under the lab domain, e.g. \`lab certs --builder builder\` for builder.${model.domain}, and make that name resolve to it.`,
    );
  }
  return full;
}

interface PairRequest {
  dir: string;
  certFile: string;
  keyFile: string;
  names: string[];
  usage: 'serverAuth' | 'clientAuth';
  commonName?: string;
}

/** Reuses a good pair in `dir` or (re)issues it; ca.pem beside it is the lab CA. */
async function ensurePair(ca: LoadedCa, keys: KeyPool, now: Date, req: PairRequest): Promise<IssuedPair> {
  const paths = { leafCert: join(req.dir, req.certFile), leafKey: join(req.dir, req.keyFile) };
  const verdict = await judgeLeaf(paths, ca, { caIsNew: false, names: req.names, now, forced: undefined });
  const caFile = join(req.dir, 'ca.pem');
  await writeIfChanged(caFile, ca.pem, { mode: LEAF_CERT_MODE });
  const result = { dir: req.dir, cert: paths.leafCert, key: paths.leafKey, ca: caFile, names: req.names };
  if (verdict.reason === undefined) return { ...result, action: 'reused', reason: undefined };

  const forgeReady = loadForge();
  const pair = verdict.key ?? (await keys.take('leaf'));
  await forgeReady;
  const template = leafProfile({
    names: req.names,
    usage: req.usage,
    ...(req.commonName ? { commonName: req.commonName } : {}),
    now,
    days: DAYS,
    caKeyId: ca.keyId,
    caNotAfter: ca.facts.notAfter,
  });
  const der = await buildCertificate(template, pair.publicKey, { privateKey: ca.privateKey, subjectDer: ca.facts.subjectDer });
  selfCheck(der, ca.x509, ca.x509.publicKey);
  await replaceAll([
    { path: paths.leafKey, content: privateKeyPem(pair.privateKey), mode: LEAF_KEY_MODE },
    { path: paths.leafCert, content: toPem(der), mode: LEAF_CERT_MODE },
  ]);
  return { ...result, action: verdict.existed ? 'renewed' : 'created', reason: verdict.reason };
}

/** certs/builders/<name>/: ca.pem, server-cert.pem, server-key.pem, as `dockerd --tlsverify` takes them. */
export function ensureBuilderServer(model: LabModel, ca: LoadedCa, keys: KeyPool, name: string, now = new Date()): Promise<IssuedPair> {
  const full = builderName(model, ca, name);
  return ensurePair(ca, keys, now, {
    dir: join(model.paths.buildersDir, full),
    certFile: 'server-cert.pem',
    keyFile: 'server-key.pem',
    names: [full],
    usage: 'serverAuth',
  });
}

/** .lab/secrets/builder-client/: ca.pem, cert.pem, key.pem (0600), Docker's DOCKER_CERT_PATH layout, for jobs. */
export function ensureBuilderClient(model: LabModel, ca: LoadedCa, keys: KeyPool, now = new Date()): Promise<IssuedPair> {
  return ensurePair(ca, keys, now, {
    dir: model.paths.builderClientDir,
    certFile: 'cert.pem',
    keyFile: 'key.pem',
    names: [],
    usage: 'clientAuth',
    commonName: `lab ${model.name} jobs`,
  });
}

/** The dockerd flags that use a server pair (paths as they will be on the builder, in `dir`). */
export function dockerdTlsFlags(dir: string): string[] {
  return [
    '--tlsverify',
    `--tlscacert=${dir}/ca.pem`,
    `--tlscert=${dir}/server-cert.pem`,
    `--tlskey=${dir}/server-key.pem`,
    '-H=0.0.0.0:2376',
  ];
}

export interface BuilderCertsRequest {
  /** Mint the server pair of this builder (`lab certs --builder <name>`). */
  server?: string;
  /** Mint the client pair jobs use (`runner.docker: remote` without certPath). */
  client?: boolean;
  keys?: KeyPool;
  now?: Date;
}

/** Builder pairs from the lab CA, which `ensureCerts` has made sure of before. */
export async function ensureBuilderCerts(
  model: LabModel,
  request: BuilderCertsRequest,
): Promise<{ server?: IssuedPair; client?: IssuedPair }> {
  const now = request.now ?? new Date();
  const keys = request.keys ?? new KeyPool();
  const ca = await loadCa(model.paths, now);
  if (!ca) throw fail(`the lab CA is missing (${model.paths.caCert})`, 'Run `lab certs` first.');
  const server = request.server === undefined ? undefined : await ensureBuilderServer(model, ca, keys, request.server, now);
  const client = request.client ? await ensureBuilderClient(model, ca, keys, now) : undefined;
  return { ...(server ? { server } : {}), ...(client ? { client } : {}) };
}
