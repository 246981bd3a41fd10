import type { LabModel } from '../config/model.js';
import { fail } from '../util/errors.js';

// Signatures only, until issue #2's implementation replaces this file.
export interface CertsOptions {
  /** Replace an existing CA on purpose. */
  newCa?: boolean;
  /** Reissue the leaf even if it is still good. */
  renew?: boolean;
  /** Clock override for tests of expiry and renewal. */
  now?: Date;
}

export interface CaReport {
  action: 'created' | 'reused' | 'replaced';
  certPath: string;
  /** SHA-256 of the DER certificate, upper-case hex with colons. */
  fingerprint256: string;
  subject: string;
  notAfter: Date;
}

export interface LeafReport {
  action: 'created' | 'reused' | 'renewed';
  /** Why it was (re)issued, e.g. "SANs changed"; undefined when reused. */
  reason: string | undefined;
  certPath: string;
  names: string[];
  notAfter: Date;
}

export interface CertsReport {
  ca: CaReport;
  leaf: LeafReport;
}

export async function ensureCerts(_model: LabModel, _options: CertsOptions = {}): Promise<CertsReport> {
  throw fail('certificates are not implemented yet');
}
