import * as v from 'valibot';
import { type Document, isNode, LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem, dotted, typeMismatch, unknownKeyWords, yamlMessage } from '../config/parse.js';
import { crossCheckWorkshop } from './check.js';
import { WORKSHOP_KEYS, workshopSchema } from './format.js';
import type { FieldPath, Workshop } from './workshop.js';

export type { FieldPath, Workshop } from './workshop.js';

const FORMAT_HINT = 'The README\'s "Seeding a workshop" describes the workshop file; `lab init` shows it in lab.yml.';

export interface ParseOptions {
  /** Where the workshop lives inside the document: ['seed'] in lab.yml, [] in a workshop file. */
  base?: FieldPath;
}

/** Parses and checks a workshop; any problem is a ConfigError (exit 2) naming file, line and field. */
export function parseWorkshop(text: string, file: string, options: ParseOptions = {}): Workshop {
  const base = options.base ?? [];
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        ...(e.linePos?.[0] ? { line: e.linePos[0].line, col: e.linePos[0].col } : {}),
        field: '',
        suggestion: FORMAT_HINT,
        message: `YAML syntax error: ${yamlMessage(e.message)}`,
      })),
    );
  }
  const at = (path: FieldPath, message: string, suggestion = FORMAT_HINT): ConfigProblem => ({
    file,
    ...locate(doc, lineCounter, [...base, ...path]),
    field: dotted([...base, ...path]),
    message,
    suggestion,
  });

  let raw: unknown;
  try {
    const node = base.length === 0 ? doc.contents : doc.getIn(base, true);
    raw = isNode(node) ? node.toJS(doc, { maxAliasCount: 100 }) : null;
  } catch (err) {
    throw new ConfigError([at([], `YAML aliases expand too far (${err instanceof Error ? err.message : String(err)})`)]);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([at([], 'must be a mapping with groups, projects, variables and attendees')]);
  }
  const parsed = v.safeParse(workshopSchema, raw);
  if (!parsed.success) throw new ConfigError(parsed.issues.map((issue) => problemOf(issue, at)));
  const workshop: Workshop = { file, data: parsed.output, at };
  const problems = crossCheckWorkshop(workshop).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0) throw new ConfigError(problems);
  return workshop;
}

type Issue = v.InferIssue<typeof workshopSchema>;
type At = Workshop['at'];

function problemOf(issue: Issue, at: At): ConfigProblem {
  const items = issue.path ?? [];
  const path = items.map((item) => item.key as string | number);
  const last = items[items.length - 1];
  if (issue.type === 'strict_object' && issue.expected === 'never' && last !== undefined) {
    // valibot reports an unknown key as "expected never", with the key as the last path item.
    const key = String(last.key);
    const parent = path.slice(0, -1);
    const words = unknownKeyWords(key, WORKSHOP_KEYS[kindOf(parent)] ?? []);
    return at(path, words.message, words.suggestion);
  }
  if (issue.type === 'strict_object' && issue.input === undefined && last !== undefined) {
    return at(path, 'is required');
  }
  const mismatch = issue.kind === 'schema' ? typeMismatch(issue.type, issue.input) : undefined;
  if (mismatch !== undefined) return at(path, mismatch);
  return at(path, issue.message);
}

/** The kind of mapping at `path`: '' (the top), 'groups', 'projects' or 'variables'. */
function kindOf(path: FieldPath): string {
  const names = path.filter((p): p is string => typeof p === 'string');
  return names[names.length - 1] ?? '';
}

/** The line and column of `path` in the document, or of its nearest ancestor that exists. */
function locate(doc: Document, lc: LineCounter, path: FieldPath): { line: number; col: number } | Record<string, never> {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]);
  }
  return {};
}
