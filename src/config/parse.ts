// Parsing lab.yml: YAML with positions, the schema, cross-field checks, and errors that
// name file, line, column and field. Kept apart from load.ts so that a lab without
// lab.yml never loads the YAML parser.

import * as v from 'valibot';
import { type Document, isMap, isNode, isPair, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { LabError } from '../util/errors.js';
import { crossCheck, type ModelIssue } from './checks.js';
import { CONFIG_FILE } from './layout.js';
import { allowedKeys, type LabConfig, labConfigSchema } from './schema.js';
import { closest } from './suggest.js';

/** More aliases than any hand-written lab.yml needs; the yaml library's own default is 100. */
const MAX_ALIAS_COUNT = 100;

export interface ConfigProblem {
  file: string;
  line?: number;
  col?: number;
  /** Dotted field path, e.g. `network.proxyIp`; empty for the whole file. */
  field: string;
  message: string;
  suggestion?: string;
}

export class ConfigError extends LabError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    const [first, ...rest] = problems;
    const hint = first?.suggestion ?? 'Run `lab init --force` in a scratch folder to see every field with its default.';
    super(first ? formatProblem(first) : 'invalid configuration', { exitCode: 2, hint, details: rest.map(formatProblem) });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  const where = [p.file, p.line, p.col].filter((x) => x !== undefined).join(':');
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

/** Parses and validates lab.yml text. `file` only labels the errors. */
export function parseConfig(text: string, file: string = CONFIG_FILE): LabConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        ...(e.linePos?.[0] ? { line: e.linePos[0].line, col: e.linePos[0].col } : {}),
        field: '',
        message: `YAML syntax error: ${yamlMessage(e.message)}`,
        suggestion: 'Fix the YAML syntax; indentation must use spaces, and a key needs a ": " after it.',
      })),
    );
  }
  let raw: unknown;
  try {
    raw = doc.contents === null ? {} : doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The yaml library refuses documents whose aliases would expand without bound (a
    // "billion laughs"): that is bad input, not a crash.
    throw new ConfigError([
      {
        file,
        ...firstAlias(doc, lineCounter),
        field: '',
        message: `YAML aliases expand too far (${err instanceof Error ? err.message : String(err)})`,
        suggestion: 'Write the values out instead of nesting aliases; lab.yml needs no anchors at all.',
      },
    ]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([
      { file, line: 1, col: 1, field: '', message: 'the top level must be a mapping of keys such as "domain: test"' },
    ]);
  }
  const locate = (path: readonly PropertyKey[], key?: string) => locateNode(doc, lineCounter, path, key);
  const parsed = v.safeParse(labConfigSchema, raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.issues.map((issue) => problemOf(issue, file, locate)));
  }
  const issues = crossCheck(parsed.output);
  if (issues.length > 0) throw new ConfigError(issues.map((i) => crossProblem(i, file, locate)));
  return parsed.output;
}

/** Where the first alias (`*name`) of the document is. */
function firstAlias(doc: Document, lc: LineCounter): { line: number; col: number } | Record<string, never> {
  let offset: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0];
      return visit.BREAK;
    },
  });
  return offset === undefined ? {} : lc.linePos(offset);
}

type Locator = (path: readonly PropertyKey[], key?: string) => { line: number; col: number } | undefined;

type Issue = v.InferIssue<typeof labConfigSchema>;

function problemOf(issue: Issue, file: string, locate: Locator): ConfigProblem {
  const items = issue.path ?? [];
  const path = items.map((item) => item.key as string | number);
  const last = items[items.length - 1];
  if (issue.type === 'strict_object' && issue.expected === 'never' && last !== undefined) {
    // valibot reports an unknown key as "expected never", with the key as the last path item.
    const key = String(last.key);
    const parent = path.slice(0, -1);
    const where = parent.length > 0 ? ` in ${dotted(parent)}` : '';
    return { file, ...locate(parent, key), field: dotted(path), ...unknownKeyWords(key, allowedKeys(parent), where) };
  }
  let message = issue.message;
  const mismatch = issue.kind === 'schema' ? typeMismatch(issue.type, issue.input) : undefined;
  if (mismatch !== undefined) {
    message = mismatch;
  } else if (issue.type === 'integer') {
    message = `${issue.message}, not ${describe(issue.input)}`;
  } else if (last !== undefined && 'origin' in last && last.origin === 'key') {
    // A bad map key (say an environment variable name): the key schema's own message says why.
    message = `${JSON.stringify(String(last.key))} ${issue.message}`;
    return { file, ...locate(path.slice(0, -1), String(last.key)), field: dotted(path), message };
  }
  return { file, ...locate(path), field: dotted(path), message };
}

/** Plain type mismatches get one uniform sentence; other issues keep the schema's message. */
const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  strict_object: 'a mapping',
  object: 'a mapping',
  array: 'a list',
  record: 'a mapping',
};

/** "must be a list, not string \"x\"" for a plain type mismatch of a valibot issue type, else undefined. */
export function typeMismatch(type: string, input: unknown): string | undefined {
  const name = TYPE_NAMES[type];
  return name === undefined ? undefined : `must be ${name}, not ${describe(input)}`;
}

function crossProblem(issue: ModelIssue, file: string, locate: Locator): ConfigProblem {
  return { file, ...locate(issue.path), field: dotted(issue.path), message: issue.message };
}

/** Finds the YAML node for `path` (or its key `key`); falls back to the nearest ancestor. */
function locateNode(doc: Document, lc: LineCounter, path: readonly PropertyKey[], key?: string) {
  const at = (offset: number | undefined) => (offset === undefined ? undefined : lc.linePos(offset));
  const parts = path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  for (let depth = parts.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(parts.slice(0, depth), true);
    if (!isNode(node)) continue;
    if (key !== undefined && depth === parts.length && isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
      if (pair && isNode(pair.key)) return at(pair.key.range?.[0]);
    }
    return at(node.range?.[0]);
  }
  return undefined;
}

/** The message and suggestion for an unknown key, with the closest allowed key as a guess. */
export function unknownKeyWords(key: string, allowed: readonly string[], where = ''): { message: string; suggestion: string } {
  const guess = closest(key, allowed);
  return {
    message: `unknown key "${key}"${where}${guess ? ` (did you mean "${guess}"?)` : ''}`,
    suggestion: guess ? `Rename "${key}" to "${guess}".` : `Allowed keys here: ${allowed.join(', ')}.`,
  };
}

/** `a.b[0].c`: a field path as messages name it. */
export function dotted(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The YAML error's first line, without the position that prettyErrors appends (the problem carries it). */
export function yamlMessage(s: string): string {
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (input === undefined) return 'missing';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}
