import { isAbsolute, relative } from 'node:path';
import { displayPath } from '../config/layout.js';
import type { LabModel } from '../config/model.js';
import { type WriteResult, writeIfChanged } from '../util/fs.js';
import { assertCovers, mintCa } from './authority.js';
import { describeSubtrees } from './constraints.js';
import { writeFailure } from './errors.js';
import { KeyPool } from './keys.js';
import { issueLeaf, judgeLeaf } from './leaf.js';
import { caExists, type LoadedCa, loadCa } from './load.js';
import { daysBetween, RENEW_WITHIN_DAYS } from './profile.js';

export { KeyPool } from './keys.js';

export interface CertsOptions {
  /** Replace an existing CA on purpose. */
  newCa?: boolean;
  /** Reissue the leaf even if it is still good. */
  renew?: boolean;
  /** Give the reissued leaf a new key pair instead of keeping the one it has. */
  newKey?: boolean;
  /** Clock override for tests of expiry and renewal. */
  now?: Date;
  /** Keys the caller already started (the CLI starts them before loading lab.yml). */
  keys?: KeyPool;
}

export interface CaReport {
  action: 'created' | 'reused' | 'replaced';
  /** Why it was minted ("none existed", "--new-ca"); undefined when reused. */
  reason: string | undefined;
  certPath: string;
  keyPath: string;
  /** SHA-256 of the DER certificate, upper-case hex with colons. */
  fingerprint256: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** Permitted names (DNS subtrees, then IP blocks); null when the CA has no name constraints. */
  permitted: string[] | null;
  /** The CA folder lies outside the lab folder (--caroot, LAB_CAROOT or certs.caroot). */
  shared: boolean;
}

export interface LeafReport {
  action: 'created' | 'reused' | 'renewed';
  /** Why it was (re)issued, e.g. "SANs changed"; undefined when reused. */
  reason: string | undefined;
  certPath: string;
  keyPath: string;
  names: string[];
  notBefore: Date;
  notAfter: Date;
  fingerprint256: string;
}

export interface CertsReport {
  ca: CaReport;
  leaf: LeafReport;
  /** certs/tls/ca.pem, the CA copy that containers mount. */
  tlsCa: { path: string; action: WriteResult };
  /** Things the user should know that are not errors. */
  warnings: string[];
}

/**
 * Makes certs/ match the model: reuse what is good, create what is missing, and
 * replace only what the rules say (the CA only with newCa). All checks of existing
 * files happen before the first write.
 */
export async function ensureCerts(model: LabModel, options: CertsOptions = {}): Promise<CertsReport> {
  const now = options.now ?? new Date();
  const keys = options.keys ?? new KeyPool();
  const paths = model.paths;
  const warnings: string[] = [];

  let ca: LoadedCa;
  let caAction: CaReport['action'];
  const existing = options.newCa ? undefined : await loadCa(paths, now);
  if (existing) {
    assertCovers(existing, model);
    ca = existing;
    caAction = 'reused';
  } else {
    const replace = options.newCa === true && (await caExists(paths));
    // A new CA means a new leaf: both keys generate at once, on two cores.
    keys.start('ca');
    keys.start('leaf');
    ca = await mintCa(model, now, keys, replace);
    caAction = replace ? 'replaced' : 'created';
  }

  const verdict = await judgeLeaf(paths, ca, {
    caIsNew: caAction !== 'reused',
    names: model.certs.leafNames,
    now,
    forced: options.newKey ? '--new-key' : options.renew ? '--renew' : undefined,
  });
  let tlsCa: WriteResult;
  try {
    tlsCa = await writeIfChanged(paths.tlsCa, ca.pem, { mode: 0o644 });
  } catch (err) {
    throw writeFailure(paths.tlsCa, err);
  }
  // A reissue keeps the leaf's key pair (as certbot --reuse-key does): it never left this
  // machine and the lab's containers, and an RSA keygen is most of a reissue's cost. A new
  // CA starts afresh, and --new-key asks for a new pair.
  const keepKey = caAction === 'reused' && options.newKey !== true ? verdict.key : undefined;
  const leaf = verdict.reason === undefined && verdict.current ? verdict.current : await issueLeaf(model, ca, now, keys, keepKey);

  if (ca.keyMode & 0o077) {
    warnings.push(
      `${displayPath(ca.keyPath)} can be read by other users (mode ${ca.keyMode.toString(8).padStart(4, '0')}); run \`chmod 400 ${displayPath(ca.keyPath)}\``,
    );
  }
  const caDaysLeft = daysBetween(now, ca.facts.notAfter);
  if (caDaysLeft < RENEW_WITHIN_DAYS) {
    warnings.push(`the CA expires in ${Math.floor(caDaysLeft)} days, and the leaf with it; plan a \`lab certs --new-ca\``);
  }
  if (model.certs.leafDays < RENEW_WITHIN_DAYS) {
    warnings.push(
      `certs.leafDays is ${model.certs.leafDays}, below the ${RENEW_WITHIN_DAYS}-day renewal window: every run reissues the leaf`,
    );
  }

  return {
    ca: {
      action: caAction,
      reason: caAction === 'created' ? 'none existed' : caAction === 'replaced' ? '--new-ca' : undefined,
      certPath: ca.certPath,
      keyPath: ca.keyPath,
      fingerprint256: ca.x509.fingerprint256,
      subject: ca.x509.subject.split('\n').join(', '),
      notBefore: ca.facts.notBefore,
      notAfter: ca.facts.notAfter,
      permitted: ca.facts.nameConstraints ? describeSubtrees(ca.facts.nameConstraints.permitted) : null,
      shared: isOutside(paths.caroot, paths.dir),
    },
    leaf: {
      action: verdict.reason === undefined ? 'reused' : verdict.existed ? 'renewed' : 'created',
      reason: verdict.reason,
      certPath: paths.leafCert,
      keyPath: paths.leafKey,
      names: leaf.facts.altNames,
      notBefore: leaf.facts.notBefore,
      notAfter: leaf.facts.notAfter,
      fingerprint256: leaf.x509.fingerprint256,
    },
    tlsCa: { path: paths.tlsCa, action: tlsCa },
    warnings,
  };
}

function isOutside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' ? false : rel.startsWith('..') || isAbsolute(rel);
}
