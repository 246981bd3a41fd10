import { templateFiles } from './template-files.js';

/**
 * The built-in project templates: real files under src/seed/templates/<name>/ that teachers
 * can read and copy. `{{lab:<key>}}` in a file is replaced when a project is seeded (see
 * `templateValues`); everything else is pushed as it is.
 */
export interface TemplateDef {
  name: string;
  description: string;
  /** Parameters (`with:` in the workshop file): each names another project, made from the template given here. */
  params: Record<string, string>;
  /** Tag patterns the template protects: only Maintainers may create release tags. */
  protectedTags: string[];
  /** The image its pipeline pushes, as `$CI_REGISTRY_IMAGE:<ref slug>`; undefined when it pushes none. */
  pushesImage: boolean;
}

export const TEMPLATES: Record<string, TemplateDef> = {
  'go-module': {
    name: 'go-module',
    description: 'a private Go module with tests (go.mod targets Go 1.19)',
    params: {},
    protectedTags: ['v*'],
    pushesImage: false,
  },
  'go-service': {
    name: 'go-service',
    description: 'a Go web service importing a go-module project, built into a FROM scratch image',
    params: { module: 'go-module' },
    protectedTags: ['v*'],
    pushesImage: true,
  },
};

export const TEMPLATE_NAMES = Object.keys(TEMPLATES);

/** The file name of the built-in workshop inside the templates folder. */
const WORKSHOP_FILE = 'workshop.yml';

let cache: Promise<Record<string, string>> | undefined;
const all = () => {
  cache ??= templateFiles();
  return cache;
};

export async function builtinWorkshopText(): Promise<string> {
  const text = (await all())[WORKSHOP_FILE];
  if (text === undefined) throw new Error(`the built-in ${WORKSHOP_FILE} is missing from the templates`);
  return text;
}

/** The raw files of one template, by path inside the project. */
export async function templateSource(name: string): Promise<Record<string, string>> {
  const prefix = `${name}/`;
  const files = Object.entries(await all()).filter(([path]) => path.startsWith(prefix));
  if (files.length === 0) throw new Error(`template ${name} has no files`);
  return Object.fromEntries(files.map(([path, text]) => [path.slice(prefix.length), text]));
}

const PLACEHOLDER = /\{\{lab:([a-z_]+)\}\}/g;

/** The placeholder keys a text uses. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/** Replaces every `{{lab:key}}`; a key without a value is a bug in the template, never left in place. */
export function renderText(text: string, values: Record<string, string>, where: string): string {
  return text.replace(PLACEHOLDER, (_m, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${where}: unknown placeholder {{lab:${key}}}`);
    return value;
  });
}

export function renderFiles(files: Record<string, string>, values: Record<string, string>, template: string): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([path, text]) => [path, renderText(text, values, `template ${template}, ${path}`)]));
}

export interface ProjectRef {
  /** `group/project`. */
  path: string;
}

/**
 * The placeholder values of one project: the GitLab host (no port: it starts a Go import
 * path), the registry, the project itself, and for each parameter the project it names.
 */
export function templateValues(
  gitlabHost: string,
  registry: string,
  self: ProjectRef,
  params: Record<string, ProjectRef>,
): Record<string, string> {
  const of = (prefix: string, p: ProjectRef) => ({
    [`${prefix}project_path`]: p.path,
    [`${prefix}project_name`]: p.path.slice(p.path.lastIndexOf('/') + 1),
    [`${prefix}import_path`]: `${gitlabHost}/${p.path}`,
  });
  return {
    gitlab_host: gitlabHost,
    registry,
    ...of('', self),
    ...Object.assign({}, ...Object.entries(params).map(([name, p]) => of(`${name}_`, p))),
  };
}
