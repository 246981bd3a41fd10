import { describe, expect, it } from 'vitest';
import {
  blockMarkers,
  detectEol,
  type HostsEntry,
  HostsFileError,
  listBlocks,
  parseHostsEntries,
  removeBlock,
  upsertBlock,
} from '../../../src/host/hosts/block.js';

const entries = (ip: string, ...hosts: string[]): HostsEntry[] => hosts.map((host) => ({ ip, host }));
const A = entries('127.0.0.1', 'gitlab.test', 'registry.test');
const B = entries('10.1.2.254', 'gitlab.b.test');

const originals: Record<string, string> = {
  'LF with final newline': '127.0.0.1 localhost\n::1 localhost ip6-localhost\n',
  'LF without final newline': '127.0.0.1 localhost\n# comment',
  'CRLF with final newline': '127.0.0.1 localhost\r\n# Windows comment\r\n',
  'CRLF without final newline': '127.0.0.1 localhost\r\n::1 localhost',
  'ending in blank lines': '127.0.0.1 localhost\n\n\n',
  'empty file': '',
  'trailing whitespace and tabs': '127.0.0.1\tlocalhost   \n  # indented\t\n',
};

describe('upsertBlock / removeBlock', () => {
  for (const [name, original] of Object.entries(originals)) {
    it(`round-trips byte for byte: ${name}`, () => {
      const written = upsertBlock(original, 'a', A);
      // Every original byte stays where it was; the block comes after.
      expect(written.startsWith(original)).toBe(true);
      expect(written).toContain(blockMarkers('a').begin);
      expect(removeBlock(written, 'a')).toEqual({ text: original, removed: true });
    });
  }

  it('keeps CRLF files CRLF, including the block', () => {
    const written = upsertBlock(originals['CRLF with final newline'] ?? '', 'a', A);
    expect(written.replace(/\r\n/g, '')).not.toContain('\n');
    expect(written.endsWith('# <<< lab a <<<\r\n')).toBe(true);
  });

  it('uses the fallback line ending for an empty file', () => {
    expect(upsertBlock('', 'a', A, '\r\n')).toBe(
      `${blockMarkers('a').begin}\r\n127.0.0.1 gitlab.test\r\n127.0.0.1 registry.test\r\n# <<< lab a <<<\r\n`,
    );
    expect(detectEol('x', '\r\n')).toBe('\r\n');
    expect(detectEol('x\r\ny\n')).toBe('\r\n');
  });

  it('adds a final newline before the block when the file had none, and only then', () => {
    expect(upsertBlock('127.0.0.1 localhost', 'a', A).startsWith('127.0.0.1 localhost\n# >>> lab a')).toBe(true);
    expect(upsertBlock('127.0.0.1 localhost\n', 'a', A).startsWith('127.0.0.1 localhost\n\n# >>> lab a')).toBe(true);
  });

  it('is idempotent: the same entries give the same text', () => {
    const once = upsertBlock(originals['LF with final newline'] ?? '', 'a', A);
    expect(upsertBlock(once, 'a', A)).toBe(once);
  });

  it('replaces an existing block in place and leaves the lines around it alone', () => {
    const text = 'head\n# >>> lab a (managed by lab; do not edit) >>>\n1.1.1.1 old.test\n# <<< lab a <<<\ntail line\n';
    const next = upsertBlock(text, 'a', A);
    expect(next).toBe(
      'head\n# >>> lab a (managed by lab; do not edit) >>>\n127.0.0.1 gitlab.test\n127.0.0.1 registry.test\n# <<< lab a <<<\ntail line\n',
    );
  });

  it('keeps a block that ends the file without a newline that way', () => {
    const text = 'x\n# >>> lab a (managed by lab; do not edit) >>>\n1.1.1.1 old.test\n# <<< lab a <<<';
    expect(upsertBlock(text, 'a', A).endsWith('# <<< lab a <<<')).toBe(true);
  });

  it("leaves other labs' blocks untouched, and removing both restores the original", () => {
    const original = originals['LF with final newline'] ?? '';
    const both = upsertBlock(upsertBlock(original, 'a', A), 'b', B);
    const bBlock = both.slice(both.indexOf('# >>> lab b'));
    const updatedA = upsertBlock(both, 'a', entries('10.9.9.9', 'gitlab.test'));
    expect(updatedA.slice(updatedA.indexOf('# >>> lab b'))).toBe(bBlock);
    const withoutA = removeBlock(both, 'a').text;
    expect(withoutA).toBe(upsertBlock(original, 'b', B));
    expect(removeBlock(withoutA, 'b').text).toBe(original);
    // The other order too.
    expect(removeBlock(removeBlock(both, 'b').text, 'a').text).toBe(original);
  });

  it('does not mistake a lab whose name is a prefix of another', () => {
    const text = upsertBlock('', 'lab-two', B);
    expect(removeBlock(text, 'lab')).toEqual({ text, removed: false });
    expect(listBlocks(upsertBlock(text, 'lab', A)).map((b) => b.lab)).toEqual(['lab-two', 'lab']);
  });

  it('reports an absent block as not removed and changes nothing', () => {
    expect(removeBlock('127.0.0.1 localhost\n', 'a')).toEqual({ text: '127.0.0.1 localhost\n', removed: false });
  });

  it('refuses broken markers instead of guessing', () => {
    expect(() => upsertBlock('# >>> lab a (managed by lab; do not edit) >>>\n1.1.1.1 x\n', 'a', A)).toThrow(HostsFileError);
    expect(() => removeBlock('x\n# <<< lab a <<<\n', 'a')).toThrow(/without its begin marker/);
    const twice = `${upsertBlock('', 'a', A)}${upsertBlock('', 'a', A)}`;
    expect(() => upsertBlock(twice, 'a', A)).toThrow(/2 blocks/);
  });
});

describe('listBlocks / parseHostsEntries', () => {
  it('finds each block with its line numbers and entries', () => {
    const text = upsertBlock(upsertBlock('127.0.0.1 localhost\n', 'a', A), 'b', B);
    expect(listBlocks(text)).toEqual([
      { lab: 'a', startLine: 3, endLine: 6, entries: A },
      { lab: 'b', startLine: 8, endLine: 10, entries: B },
    ]);
  });

  it('reads every mapping, several names per line, comments ignored', () => {
    expect(parseHostsEntries('# 1.1.1.1 no\n127.0.0.1\tlocalhost  me # trailing\r\n\n::1 ip6\n')).toEqual([
      { ip: '127.0.0.1', host: 'localhost' },
      { ip: '127.0.0.1', host: 'me' },
      { ip: '::1', host: 'ip6' },
    ]);
  });
});
