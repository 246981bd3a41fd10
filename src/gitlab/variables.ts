import * as v from 'valibot';
import type { GitLabTransport } from './client/transport.js';

// https://docs.gitlab.com/api/instance_level_ci_variables/ and /api/project_level_variables/
const Variable = v.object({
  key: v.string(),
  value: v.string(),
  variable_type: v.picklist(['env_var', 'file']),
  protected: v.boolean(),
  masked: v.boolean(),
  raw: v.optional(v.boolean()),
});
export type Variable = v.InferOutput<typeof Variable>;

export interface VariableSpec {
  key: string;
  value: string;
  /** `file`: the job gets a path to a file holding the value (a CA certificate, say). */
  type?: 'env_var' | 'file';
  protected?: boolean;
  masked?: boolean;
  /** Not expanded by GitLab: a PEM or a `$` in the value stays as it is. */
  raw?: boolean;
}

export type VariableScope = { kind: 'instance' } | { kind: 'project'; id: number };

function base(scope: VariableScope): string {
  return scope.kind === 'instance' ? '/admin/ci/variables' : `/projects/${scope.id}/variables`;
}

function body(spec: VariableSpec): Record<string, unknown> {
  return {
    key: spec.key,
    value: spec.value,
    variable_type: spec.type ?? 'env_var',
    protected: spec.protected ?? false,
    masked: spec.masked ?? false,
    raw: spec.raw ?? true,
  };
}

export function variablesApi(t: GitLabTransport) {
  return {
    /** Undefined on 404. */
    async get(scope: VariableScope, key: string): Promise<Variable | undefined> {
      return t.find(`${base(scope)}/${encodeURIComponent(key)}`, Variable);
    },
    create(scope: VariableScope, spec: VariableSpec): Promise<Variable> {
      return t.json('POST', base(scope), Variable, { body: body(spec), ok: [201] });
    },
    update(scope: VariableScope, spec: VariableSpec): Promise<Variable> {
      return t.json('PUT', `${base(scope)}/${encodeURIComponent(spec.key)}`, Variable, { body: body(spec), ok: [200] });
    },
    async delete(scope: VariableScope, key: string): Promise<boolean> {
      return t.remove(`${base(scope)}/${encodeURIComponent(key)}`);
    },
  };
}

export type VariablesApi = ReturnType<typeof variablesApi>;
