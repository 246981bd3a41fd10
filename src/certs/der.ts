/**
 * A minimal DER reader: just enough to read the fields lab checks in existing
 * certificates (validity, extensions). It exists so that reusing certificates,
 * the common case, never loads node-forge. Writing certificates uses forge.asn1.
 */

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
} as const;

/** The GeneralName forms lab reads: context-specific, implicitly tagged (RFC 5280 appendix A.2). */
export const GENERAL_NAME = {
  dNSName: 0x82,
  iPAddress: 0x87,
} as const;

export interface Der {
  /** The identifier octet: class, constructed bit and tag number (low-tag form only). */
  tag: number;
  /** The contents octets. */
  content: Buffer;
  /** The whole TLV, header included. */
  raw: Buffer;
}

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** Reads one TLV at `offset`. */
export function readTlv(buf: Buffer, offset = 0): Der {
  const tag = byteAt(buf, offset);
  // High tag numbers (0x1f) never occur in X.509; refusing them keeps this small.
  if ((tag & 0x1f) === 0x1f) throw new DerError('unsupported high tag number');
  let pos = offset + 1;
  let length = byteAt(buf, pos++);
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError('unsupported length encoding');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + byteAt(buf, pos++);
  }
  const end = pos + length;
  if (end > buf.length) throw new DerError('truncated element');
  return { tag, content: buf.subarray(pos, end), raw: buf.subarray(offset, end) };
}

/** Parses a whole buffer as exactly one element. */
export function parseDer(buf: Buffer): Der {
  const node = readTlv(buf, 0);
  if (node.raw.length !== buf.length) throw new DerError('trailing bytes after the element');
  return node;
}

/** The elements inside a constructed element. */
export function children(node: Der): Der[] {
  const out: Der[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const child = readTlv(node.content, offset);
    out.push(child);
    offset += child.raw.length;
  }
  return out;
}

export function expect(node: Der | undefined, tag: number, what: string): Der {
  if (!node || node.tag !== tag) throw new DerError(`expected ${what}`);
  return node;
}

export function decodeOid(node: Der): string {
  const bytes = expect(node, TAG.OID, 'an OID').content;
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime (YYMMDDhhmmssZ) or GeneralizedTime (YYYYMMDDhhmmssZ), as RFC 5280 4.1.2.5 requires. */
export function decodeTime(node: Der): Date {
  const text = node.content.toString('latin1');
  const utcTime = node.tag === TAG.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (utcTime) {
    const yy = Number(utcTime[1]);
    // RFC 5280: YY >= 50 means 19YY, otherwise 20YY.
    return utc(yy >= 50 ? 1900 + yy : 2000 + yy, utcTime.slice(2));
  }
  const generalized = node.tag === TAG.GENERALIZED_TIME ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (generalized) return utc(Number(generalized[1]), generalized.slice(2));
  throw new DerError(`unsupported time "${text}"`);
}

function utc(year: number, rest: string[]): Date {
  const [mo, d, h, mi, s] = rest.map(Number) as [number, number, number, number, number];
  return new Date(Date.UTC(year, mo - 1, d, h, mi, s));
}

function byteAt(buf: Buffer, index: number): number {
  const value = buf[index];
  if (value === undefined) throw new DerError('truncated element');
  return value;
}
