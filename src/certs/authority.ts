import { displayPath } from '../config/layout.js';
import type { LabModel } from '../config/model.js';
import { UsageError } from '../util/errors.js';
import { describeSubtrees, violations } from './constraints.js';
import { badCaFile } from './errors.js';
import { createAll, replaceAll } from './files.js';
import { inspectCertificate } from './inspect.js';
import { type IpBlock, parseCidrBlock } from './ip.js';
import { type KeyPool, keyIdentifier, privateKeyPem } from './keys.js';
import type { LoadedCa } from './load.js';
import { caProfile } from './profile.js';
import { buildCertificate, loadForge, selfCheck, toPem } from './x509.js';

// mkcert's modes: anyone may read the certificate, only the owner the key, and not
// even the owner may write it by accident.
export const CA_CERT_MODE = 0o644;
export const CA_KEY_MODE = 0o400;

/**
 * Mints a new CA. `replace` is true only for --new-ca over an existing CA: then the
 * new key and certificate are written under temporary names first and renamed over
 * the old pair; otherwise both files are created exclusively and never overwrite.
 */
export async function mintCa(model: LabModel, now: Date, keys: KeyPool, replace: boolean): Promise<LoadedCa> {
  const { caCert, caKey } = model.paths;
  assertModelCovers(model);
  // forge loads on this thread while OpenSSL generates the key on the thread pool.
  const forgeReady = loadForge();
  const pair = await keys.take('ca');
  await forgeReady;
  const keyId = keyIdentifier(pair.publicKey);
  const template = caProfile({
    labName: model.name,
    now,
    keyId,
    permittedDomains: model.certs.permittedDomains,
    permittedIps: model.certs.permittedIps,
  });
  const der = await buildCertificate(template, pair.publicKey, { privateKey: pair.privateKey });
  const x509 = selfCheck(der, undefined, pair.publicKey);
  const pem = toPem(der);
  const files = [
    // The key goes first: a certificate without its key would be the worse leftover.
    { path: caKey, content: privateKeyPem(pair.privateKey), mode: CA_KEY_MODE },
    { path: caCert, content: pem, mode: CA_CERT_MODE },
  ];
  if (replace) await replaceAll(files);
  else await createAll(files);
  return {
    certPath: caCert,
    keyPath: caKey,
    x509,
    facts: inspectCertificate(der),
    pem,
    privateKey: pair.privateKey,
    keyId,
    keyMode: CA_KEY_MODE,
  };
}

/**
 * An existing CA (perhaps shared through --caroot, perhaps mkcert's) must be allowed
 * to vouch for every lab host; otherwise the leaf would not verify anywhere.
 * A CA without name constraints (mkcert's) may vouch for anything and passes.
 */
export function assertCovers(ca: LoadedCa, model: LabModel): void {
  const constraints = ca.facts.nameConstraints;
  if (!constraints) return;
  const bad = violations(constraints, model.certs.leafNames);
  if (bad.length === 0) return;
  const permitted = describeSubtrees(constraints.permitted);
  throw badCaFile(
    `the CA ${displayPath(ca.certPath)} may not vouch for ${bad.join(', ')}: its name constraints permit only ${permitted.join(', ') || 'nothing'}`,
    `Use a CA whose constraints cover "${model.domain}" (--caroot, LAB_CAROOT or certs.caroot), or run \`lab certs --new-ca\` to replace this one (every lab and trust store that uses it must then trust the new CA).`,
  );
}

/**
 * lab.yml is checked for this already (config/checks.ts crossCheck); repeating it
 * here, before anything is generated or written, keeps a future model change from
 * minting a CA that could not vouch for its own lab.
 */
function assertModelCovers(model: LabModel): void {
  const ip = model.certs.permittedIps.map(parseCidrBlock).filter((b): b is IpBlock => b !== undefined);
  const bad = violations(
    { permitted: { dns: model.certs.permittedDomains, ip, other: 0 }, excluded: { dns: [], ip: [], other: 0 } },
    model.certs.leafNames,
  );
  if (bad.length > 0) {
    throw new UsageError(
      `certs.permittedDomains in lab.yml does not cover ${bad.join(', ')}`,
      'Add the domain of every lab host to certs.permittedDomains, or remove the field to use the default.',
    );
  }
}
