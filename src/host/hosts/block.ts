/**
 * Pure text surgery on a hosts file: lab owns exactly one marked block per lab and
 * never touches a byte outside it. Line endings are kept per line (a CRLF file stays
 * CRLF), and the separator lab adds in front of an appended block is taken away
 * again on removal, so write + remove gives back the original bytes.
 */

export interface HostsEntry {
  ip: string;
  host: string;
}

export type Eol = '\n' | '\r\n';

interface Line {
  /** The line without its terminator (and without a CR before the LF). */
  content: string;
  /** '\n', '\r\n', or '' for a last line without a newline. */
  eol: string;
}

export interface HostsBlock {
  lab: string;
  /** 1-based line numbers of the begin and end markers. */
  startLine: number;
  endLine: number;
  entries: HostsEntry[];
}

/** A marked block that lab cannot safely edit (half a block, or two for one lab). */
export class HostsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostsFileError';
  }
}

const BEGIN = /^# >>> lab (\S+) .*>>>\s*$/;
const END = /^# <<< lab (\S+) <<<\s*$/;

export function blockMarkers(lab: string): { begin: string; end: string } {
  return { begin: `# >>> lab ${lab} (managed by lab; do not edit) >>>`, end: `# <<< lab ${lab} <<<` };
}

function splitLines(text: string): Line[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const lines: Line[] = [];
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (last && part === '') return; // text ended with a newline
    if (last) lines.push({ content: part, eol: '' });
    else if (part.endsWith('\r')) lines.push({ content: part.slice(0, -1), eol: '\r\n' });
    else lines.push({ content: part, eol: '\n' });
  });
  return lines;
}

function joinLines(lines: Line[]): string {
  return lines.map((l) => l.content + l.eol).join('');
}

/** The file's own line ending (that of its first line), or `fallback` for a file without one. */
export function detectEol(text: string, fallback: Eol = '\n'): Eol {
  const lf = text.indexOf('\n');
  if (lf < 0) return fallback;
  return lf > 0 && text[lf - 1] === '\r' ? '\r\n' : '\n';
}

function isBlank(line: Line | undefined): boolean {
  return line !== undefined && line.content.trim() === '' && line.eol !== '';
}

/** Every lab block in the file; throws HostsFileError on a marker without its partner. */
export function listBlocks(text: string): HostsBlock[] {
  const lines = splitLines(text);
  const blocks: HostsBlock[] = [];
  let open: { lab: string; index: number } | undefined;
  lines.forEach((line, index) => {
    const begin = BEGIN.exec(line.content);
    const end = END.exec(line.content);
    if (begin) {
      if (open)
        throw new HostsFileError(
          `line ${index + 1}: lab block "${begin[1]}" starts inside the block of "${open.lab}" (line ${open.index + 1})`,
        );
      open = { lab: begin[1] ?? '', index };
    } else if (end) {
      if (!open || open.lab !== end[1])
        throw new HostsFileError(`line ${index + 1}: end marker of lab "${end[1]}" without its begin marker`);
      const entries = lines.slice(open.index + 1, index).flatMap((l) => parseEntryLine(l.content));
      blocks.push({ lab: open.lab, startLine: open.index + 1, endLine: index + 1, entries });
      open = undefined;
    }
  });
  if (open) throw new HostsFileError(`line ${open.index + 1}: lab block "${open.lab}" has no end marker`);
  return blocks;
}

function findBlock(text: string, lab: string): HostsBlock | undefined {
  const mine = listBlocks(text).filter((b) => b.lab === lab);
  if (mine.length > 1)
    throw new HostsFileError(`lab "${lab}" has ${mine.length} blocks (lines ${mine.map((b) => b.startLine).join(', ')}); keep one`);
  return mine[0];
}

export function renderBlock(lab: string, entries: HostsEntry[], eol: Eol): string {
  const { begin, end } = blockMarkers(lab);
  return [begin, ...entries.map((e) => `${e.ip} ${e.host}`), end].map((l) => l + eol).join('');
}

/**
 * Puts lab's block into the text: replaces the existing one in place, or appends it
 * after a blank separator line (no separator when the file lacked a final newline,
 * which is added instead; `removeBlock` undoes either exactly).
 */
export function upsertBlock(text: string, lab: string, entries: HostsEntry[], fallbackEol: Eol = '\n'): string {
  const eol = detectEol(text, fallbackEol);
  const existing = findBlock(text, lab);
  if (existing) {
    const lines = splitLines(text);
    const endLine = lines[existing.endLine - 1];
    let block = renderBlock(lab, entries, eol);
    // A block that ends the file without a newline keeps ending that way.
    if (endLine?.eol === '') block = block.slice(0, -eol.length);
    const before = joinLines(lines.slice(0, existing.startLine - 1));
    const after = joinLines(lines.slice(existing.endLine));
    return before + block + after;
  }
  const block = renderBlock(lab, entries, eol);
  if (text === '') return block;
  // After a final newline this eol is the blank separator line; without one, it ends
  // the last line. The same bytes either way, and removeBlock tells the two apart.
  return text + eol + block;
}

/** Takes lab's block (and the separator lab added with it) out; unchanged text when absent. */
export function removeBlock(text: string, lab: string): { text: string; removed: boolean } {
  const existing = findBlock(text, lab);
  if (!existing) return { text, removed: false };
  const lines = splitLines(text);
  const before = lines.slice(0, existing.startLine - 1);
  const after = lines.slice(existing.endLine);
  if (isBlank(before[before.length - 1])) {
    before.pop();
  } else if (before.length === 0) {
    // The block opened the file: drop the separator that a later block put after it.
    if (isBlank(after[0]) && after.length > 1) after.shift();
  } else if (after.length === 0) {
    // Appended to a file without a final newline: take back the newline lab added.
    const last = before[before.length - 1];
    if (last) before[before.length - 1] = { content: last.content, eol: '' };
  }
  return { text: joinLines([...before, ...after]), removed: true };
}

function parseEntryLine(content: string): HostsEntry[] {
  const data = content.replace(/#.*$/, '').trim();
  if (data === '') return [];
  const [ip, ...names] = data.split(/\s+/);
  if (ip === undefined) return [];
  return names.map((host) => ({ ip, host }));
}

/** Every name → addresses mapping in the file (comments ignored), in file order. */
export function parseHostsEntries(text: string): HostsEntry[] {
  return splitLines(text).flatMap((l) => parseEntryLine(l.content));
}
