import { children, type Der, GENERAL_NAME, parseDer, readTlv } from './der.js';
import { blockContains, formatBlock, type IpBlock, ipBytes } from './ip.js';

/**
 * The name constraints of a CA (RFC 5280 section 4.2.1.10), reduced to the two
 * name forms a TLS server certificate uses: DNS names and IP addresses.
 */
export interface NameConstraints {
  permitted: Subtrees;
  excluded: Subtrees;
}

export interface Subtrees {
  dns: string[];
  ip: IpBlock[];
  /** Subtrees of other forms (email, URI, directoryName…): reported, not interpreted. */
  other: number;
}

// NameConstraints ::= SEQUENCE { permittedSubtrees [0], excludedSubtrees [1] } (constructed, implicit).
const PERMITTED = 0xa0;
const EXCLUDED = 0xa1;

/** Decodes the extension value (the contents of its OCTET STRING). */
export function decodeNameConstraints(value: Buffer): NameConstraints {
  const result: NameConstraints = { permitted: emptySubtrees(), excluded: emptySubtrees() };
  for (const part of children(parseDer(value))) {
    const target = part.tag === PERMITTED ? result.permitted : part.tag === EXCLUDED ? result.excluded : undefined;
    if (!target) continue;
    for (const subtree of children(part)) {
      // GeneralSubtree ::= SEQUENCE { base GeneralName, minimum [0] …, maximum [1] … }
      const base: Der = readTlv(subtree.content, 0);
      if (base.tag === GENERAL_NAME.dNSName) target.dns.push(base.content.toString('latin1'));
      else if (base.tag === GENERAL_NAME.iPAddress && (base.content.length === 8 || base.content.length === 32)) {
        const half = base.content.length / 2;
        target.ip.push({ address: Buffer.from(base.content.subarray(0, half)), mask: Buffer.from(base.content.subarray(half)) });
      } else target.other++;
    }
  }
  return result;
}

function emptySubtrees(): Subtrees {
  return { dns: [], ip: [], other: 0 };
}

/**
 * RFC 5280: a DNS name satisfies a constraint if it can be built by adding zero or
 * more labels on the left. A leading dot (a common extension, honoured by OpenSSL)
 * means subdomains only. A wildcard SAN is compared as a string, like OpenSSL does.
 */
export function dnsWithin(name: string, constraint: string): boolean {
  const n = name.toLowerCase();
  const c = constraint.toLowerCase();
  if (c === '') return true;
  if (c.startsWith('.')) return n.endsWith(c);
  return n === c || n.endsWith(`.${c}`);
}

/** The names a CA with these constraints may not vouch for, each with the reason. */
export function violations(constraints: NameConstraints, names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const ip = ipBytes(name);
    if (ip) {
      const { permitted, excluded } = constraints;
      if (excluded.ip.some((b) => blockContains(b, ip))) out.push(`${name} (excluded)`);
      else if (permitted.ip.length > 0 && !permitted.ip.some((b) => blockContains(b, ip))) out.push(name);
      continue;
    }
    if (constraints.excluded.dns.some((c) => dnsWithin(name, c))) out.push(`${name} (excluded)`);
    else if (constraints.permitted.dns.length > 0 && !constraints.permitted.dns.some((c) => dnsWithin(name, c))) out.push(name);
  }
  return out;
}

/** "test, localhost, 127.0.0.0/8" — for messages and the report. */
export function describeSubtrees(subtrees: Subtrees): string[] {
  return [...subtrees.dns, ...subtrees.ip.map(formatBlock), ...(subtrees.other > 0 ? [`${subtrees.other} other`] : [])];
}
