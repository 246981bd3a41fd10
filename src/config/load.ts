import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { LabError, errnoCode } from '../util/errors.js';
import { buildModel, crossCheck, type LabModel, type ModelIssue } from './model.js';
import { CONFIG_FILE, labPaths } from './paths.js';
import { allowedKeys, labConfigSchema, type LabConfig } from './schema.js';
import { closest } from './suggest.js';

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

export interface LoadedLab {
  config: LabConfig;
  model: LabModel;
  /** Absolute path of lab.yml, or undefined when the lab runs on defaults. */
  configFile: string | undefined;
}

export interface LoadOptions {
  dir: string;
  caroot?: string | undefined;
}

/** Reads `<dir>/lab.yml` (defaults when absent) and builds the model. Throws ConfigError (exit 2). */
export async function loadLab(options: LoadOptions): Promise<LoadedLab> {
  const file = labPaths(options.dir).configFile;
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOENT') {
      throw new LabError(`cannot read ${file}: ${code ?? String(err)}`, { exitCode: 2, hint: 'Check the file permissions.' });
    }
  }
  const config = parseConfig(text ?? '', displayName(file, options.dir));
  return { config, model: buildModel(config, options), configFile: text === undefined ? undefined : file };
}

function displayName(file: string, dir: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || rel === '' ? (dir === '.' ? CONFIG_FILE : file) : rel;
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
        message: `YAML syntax error: ${firstLine(e.message)}`,
        suggestion: 'Fix the YAML syntax; indentation must use spaces, and a key needs a ": " after it.',
      })),
    );
  }
  const raw: unknown = doc.contents === null ? {} : doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ file, line: 1, col: 1, field: '', message: 'the top level must be a mapping of keys such as "domain: test"' }]);
  }
  const locate = (path: readonly PropertyKey[], key?: string) => locateNode(doc, lineCounter, path, key);
  const parsed = labConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.flatMap((issue) => problemsOf(issue, file, locate)));
  }
  const issues = crossCheck(parsed.data);
  if (issues.length > 0) throw new ConfigError(issues.map((i) => crossProblem(i, file, locate)));
  return parsed.data;
}

type Locator = (path: readonly PropertyKey[], key?: string) => { line: number; col: number } | undefined;

function problemsOf(issue: z.core.$ZodIssue, file: string, locate: Locator): ConfigProblem[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(path);
    return issue.keys.map((key) => {
      const guess = closest(key, allowed);
      const where = path.length > 0 ? ` in ${dotted(path)}` : '';
      return {
        file,
        ...locate(path, key),
        field: dotted([...path, key]),
        message: `unknown key "${key}"${where}${guess ? ` (did you mean "${guess}"?)` : ''}`,
        suggestion: guess ? `Rename "${key}" to "${guess}".` : `Allowed keys here: ${allowed.join(', ')}.`,
      };
    });
  }
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    message = `must be ${article(issue.expected)}, not ${describe(issue.input)}`;
  }
  return [{ file, ...locate(path), field: dotted(path), message }];
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

function dotted(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function firstLine(s: string): string {
  // prettyErrors appends the position, which the problem already carries.
  return (s.split('\n')[0] ?? s).replace(/ at line \d+, column \d+:?$/, '');
}

function article(expected: string): string {
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (input === undefined) return 'missing';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${JSON.stringify(input)}`;
}
