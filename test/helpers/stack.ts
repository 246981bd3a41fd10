import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { buildModel, type LabModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/parse.js';
import type { RenderedFile } from '../../src/render/files.js';
import { renderStack } from '../../src/stack/render.js';

/** Test data that lives next to the tests (golden files, lab.yml variants). */
export const GOLDEN_DIR = fileURLToPath(new URL('../data/golden/', import.meta.url));
/** The official schemas, shipped beside the repository (see ../shared/schemas/README.md). */
export const SCHEMA_DIR = fileURLToPath(new URL('../../../shared/schemas/', import.meta.url));

export function modelOf(labYml: string, dir: string): LabModel {
  return buildModel(parseConfig(labYml), { dir });
}

/** The rendered files by lab-relative path. */
export function renderByPath(model: LabModel, runnerToken?: string): Map<string, RenderedFile> {
  const files = renderStack(model, { runnerToken });
  return new Map(files.map((f) => [f.path.slice(model.paths.dir.length + 1), f]));
}

export function file(files: Map<string, RenderedFile>, path: string): string {
  const f = files.get(path);
  if (!f) throw new Error(`nothing rendered at ${path}; have ${[...files.keys()].join(', ')}`);
  return f.content;
}

/** Objects from YAML/TOML are nested records; tests walk them with this type. */
export type Tree = Record<string, unknown>;

export function yamlOf(text: string): Tree {
  return parseYaml(text) as Tree;
}

export function tomlOf(text: string): Tree {
  return parseToml(text) as Tree;
}

export function at(tree: unknown, ...path: (string | number)[]): unknown {
  let node = tree;
  for (const key of path) {
    if (node === null || typeof node !== 'object') throw new Error(`no ${path.join('.')} (stopped at ${String(key)})`);
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** Compose writes a literal `$` as `$$`; this undoes it, as compose does when it loads the file. */
export function unescapeCompose(value: string): string {
  return value.replace(/\$\$/g, '$');
}

const validators = new Map<string, ValidateFunction>();

/** An ajv validator for one of the shared schemas (draft-07; `$schema` dropped, as the README says). */
export function schemaValidator(name: 'compose-spec.json' | 'traefik-v3.json' | 'traefik-v3-file-provider.json'): ValidateFunction {
  const cached = validators.get(name);
  if (cached) return cached;
  const schema = JSON.parse(readFileSync(`${SCHEMA_DIR}${name}`, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  validators.set(name, validate);
  return validate;
}

/** Every key path of a parsed document, with map keys below `wildcards` replaced by `*`. */
export function keyPaths(tree: unknown, prefix = ''): string[] {
  if (Array.isArray(tree)) return tree.flatMap((item) => keyPaths(item, `${prefix}[]`));
  if (tree === null || typeof tree !== 'object') return prefix ? [prefix] : [];
  const entries = Object.entries(tree as Tree);
  if (entries.length === 0) return prefix ? [prefix] : [];
  return entries.flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k));
}

/** Every file `lab render` writes before the CA exists, in the order renderFiles returns them. */
export const RENDERED_FILES = [
  'compose/traefik.yml',
  'compose/gitlab.yml',
  'compose/runner.yml',
  'compose/traefik/traefik.yml',
  'compose/traefik/dynamic/lab.yml',
  '.lab/runner/config.toml',
] as const;
