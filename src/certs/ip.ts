import { isIP } from 'node:net';

/**
 * IP addresses and CIDR blocks as the bytes X.509 uses: an iPAddress name is 4 or
 * 16 bytes, and an iPAddress name constraint is the address followed by the mask
 * (8 or 32 bytes), RFC 5280 section 4.2.1.10.
 */
export interface IpBlock {
  address: Buffer;
  mask: Buffer;
}

export function ipBytes(text: string): Buffer | undefined {
  // Host names are the common case: skip node's IPv6 matcher (a large regex that
  // costs ~10 ms to compile on first use) for anything that cannot be an address.
  if (!text.includes(':') && !/^[\d.]+$/.test(text)) return undefined;
  const version = isIP(text);
  if (version === 4) return Buffer.from(text.split('.').map(Number));
  if (version === 6) return ipv6Bytes(text);
  return undefined;
}

function ipv6Bytes(text: string): Buffer {
  let head = text;
  let tail: number[] = [];
  // An embedded IPv4 suffix (::ffff:1.2.3.4) becomes two 16-bit groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number) as [number, number, number, number];
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    head = head.slice(0, -v4[1].length);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [left = '', right] = head.split('::');
  const l = groups(left);
  const r = [...(right === undefined ? [] : groups(right)), ...tail];
  const all = right === undefined ? [...l, ...tail] : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const out = Buffer.alloc(16);
  for (const [i, g] of all.entries()) out.writeUInt16BE(g, i * 2);
  return out;
}

export function parseCidrBlock(text: string): IpBlock | undefined {
  const [addr = '', prefixText] = text.split('/');
  const address = ipBytes(addr);
  if (!address) return undefined;
  const bits = address.length * 8;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const mask = Buffer.alloc(address.length);
  for (let i = 0; i < prefix; i++) mask[i >> 3] = (mask[i >> 3] ?? 0) | (0x80 >> (i & 7));
  // Zero the host bits so the block is canonical.
  return { address: Buffer.from(address.map((b, i) => b & (mask[i] ?? 0))), mask };
}

export function blockContains(block: IpBlock, address: Buffer): boolean {
  if (address.length !== block.address.length) return false;
  return address.every((b, i) => (b & (block.mask[i] ?? 0)) === block.address[i]);
}

export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 recommends.
  let best = { start: -1, len: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.len).join(':')}`;
}

export function formatBlock(block: IpBlock): string {
  let prefix = 0;
  for (const byte of block.mask) prefix += byte.toString(2).replace(/0/g, '').length;
  return `${formatIp(block.address)}/${prefix}`;
}
