import * as v from 'valibot';
import { firstLine } from '../engine/errors.js';
import type { HttpsResponse, LabHttpsClient } from '../engine/https.js';
import { sleep } from '../engine/wait.js';
import { errnoCode, errorMessage } from '../util/errors.js';

/**
 * A small typed client for the few GitLab REST endpoints the bootstrap uses, over the
 * lab's HTTPS route (proxy's published port, lab CA pinned). The token travels in the
 * `PRIVATE-TOKEN` header only (https://docs.gitlab.com/api/rest/authentication/#personalprojectgroup-access-tokens),
 * never in a URL, and no error message ever quotes a request or a 2xx body.
 */

// https://docs.gitlab.com/api/personal_access_tokens/#get-single-personal-access-token
const TokenInfo = v.object({
  id: v.number(),
  name: v.string(),
  revoked: v.boolean(),
  active: v.boolean(),
  scopes: v.array(v.string()),
  user_id: v.number(),
  expires_at: v.nullable(v.string()),
});
export type TokenInfo = v.InferOutput<typeof TokenInfo>;

// https://docs.gitlab.com/api/users/#create-a-runner-linked-to-a-user
const CreatedRunner = v.object({ id: v.number(), token: v.pipe(v.string(), v.startsWith('glrt-')) });
export type CreatedRunner = v.InferOutput<typeof CreatedRunner>;

// https://docs.gitlab.com/api/runners/#list-all-runners and #get-runners-details
const RunnerSummary = v.object({
  id: v.number(),
  description: v.nullable(v.string()),
  runner_type: v.string(),
  status: v.string(),
});
export type RunnerSummary = v.InferOutput<typeof RunnerSummary>;

// https://docs.gitlab.com/api/runners/#verify-authentication-for-a-registered-runner
const Verified = v.object({ id: v.number() });

const ErrorBody = v.object({
  message: v.optional(v.unknown()),
  error: v.optional(v.unknown()),
  error_description: v.optional(v.unknown()),
});

export class GitLabApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    /** 0 when no HTTP answer arrived at all. */
    readonly status: number,
    detail: string,
  ) {
    super(`${method} /api/v4${path} ${status === 0 ? 'failed' : `answered ${status}`}${detail ? `: ${detail}` : ''}`);
    this.name = 'GitLabApiError';
  }
}

export interface RunnerSpec {
  description: string;
  tagList: string[];
  runUntagged: boolean;
}

export interface GitLabApi {
  /** The token's own record; undefined when GitLab rejects it (401: unknown, expired or revoked). */
  tokenSelf(): Promise<TokenInfo | undefined>;
  /** Revokes the token used for the call. */
  revokeSelf(): Promise<void>;
  createInstanceRunner(spec: RunnerSpec): Promise<CreatedRunner>;
  /** Undefined when the runner does not exist (404). */
  runner(id: number): Promise<RunnerSummary | undefined>;
  /** False when there was nothing to delete (404). */
  deleteRunner(id: number): Promise<boolean>;
  /** The runner id the token belongs to; undefined when GitLab rejects the token (403). */
  verifyRunner(token: string): Promise<number | undefined>;
  /** Every instance runner, all pages. */
  instanceRunners(): Promise<RunnerSummary[]>;
}

export interface ApiOptions {
  /** The GitLab host, e.g. `gitlab.test`. */
  host: string;
  /** The personal access token; omitted for endpoints that take a runner token in the body. */
  token?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Per request; GitLab answers the API in well under a second when it is healthy. */
  timeoutMs?: number;
}

/** A gateway that is not there yet (or for a moment): worth another try for idempotent calls. */
const TRANSIENT = new Set([502, 503, 504]);
const RETRIES = 4;
const RETRY_DELAY_MS = 250;

function errorDetail(res: HttpsResponse): string {
  try {
    const body = v.safeParse(ErrorBody, JSON.parse(res.body));
    if (body.success) {
      const parts = [body.output.message, body.output.error, body.output.error_description].filter((x) => x !== undefined);
      const text = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
      return text.slice(0, 200);
    }
  } catch {
    // not JSON (e.g. an HTML error page from a proxy)
  }
  return '';
}

function parse<S extends v.GenericSchema>(schema: S, res: HttpsResponse, method: string, path: string): v.InferOutput<S> {
  let value: unknown;
  try {
    value = JSON.parse(res.body);
  } catch {
    throw new GitLabApiError(method, path, res.status, 'the answer is not JSON');
  }
  const parsed = v.safeParse(schema, value);
  if (!parsed.success) throw new GitLabApiError(method, path, res.status, 'the answer does not have the documented shape');
  return parsed.output;
}

export function gitlabApi(client: LabHttpsClient, options: ApiOptions): GitLabApi {
  const call = async (method: string, path: string, body?: unknown, retry = true): Promise<HttpsResponse> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token !== undefined) headers['private-token'] = options.token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      let res: HttpsResponse | undefined;
      let failure: unknown;
      try {
        res = await client.request({
          host: options.host,
          path: `/api/v4${path}`,
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          timeoutMs: options.timeoutMs ?? 15_000,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        failure = err;
      }
      const again = retry && attempt < RETRIES && !options.signal?.aborted && (res === undefined || TRANSIENT.has(res.status));
      if (!again) {
        if (res) return res;
        throw new GitLabApiError(method, path, 0, errnoCode(failure) ?? firstLine(errorMessage(failure)));
      }
      await sleep(RETRY_DELAY_MS * (attempt + 1), options.signal);
    }
  };
  const unexpected = (method: string, path: string, res: HttpsResponse) => new GitLabApiError(method, path, res.status, errorDetail(res));

  return {
    async tokenSelf() {
      const path = '/personal_access_tokens/self';
      const res = await call('GET', path);
      if (res.status === 401) return undefined;
      if (res.status !== 200) throw unexpected('GET', path, res);
      return parse(TokenInfo, res, 'GET', path);
    },
    async revokeSelf() {
      // https://docs.gitlab.com/api/personal_access_tokens/#revoke-a-personal-access-token (self)
      const path = '/personal_access_tokens/self';
      const res = await call('DELETE', path);
      if (res.status !== 204 && res.status !== 401) throw unexpected('DELETE', path, res);
    },
    async createInstanceRunner(spec) {
      const path = '/user/runners';
      // Not retried: a lost answer could mean a runner was created anyway. The orphan
      // sweep of the next run removes such a runner by its marker.
      const res = await call(
        'POST',
        path,
        { runner_type: 'instance_type', description: spec.description, tag_list: spec.tagList, run_untagged: spec.runUntagged },
        false,
      );
      if (res.status !== 201) throw unexpected('POST', path, res);
      return parse(CreatedRunner, res, 'POST', path);
    },
    async runner(id) {
      const path = `/runners/${id}`;
      const res = await call('GET', path);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw unexpected('GET', path, res);
      return parse(RunnerSummary, res, 'GET', path);
    },
    async deleteRunner(id) {
      const path = `/runners/${id}`;
      const res = await call('DELETE', path);
      if (res.status === 404) return false;
      if (res.status !== 204) throw unexpected('DELETE', path, res);
      return true;
    },
    async verifyRunner(token) {
      const path = '/runners/verify';
      const res = await call('POST', path, { token });
      if (res.status === 403) return undefined;
      if (res.status !== 200) throw unexpected('POST', path, res);
      return parse(Verified, res, 'POST', path).id;
    },
    async instanceRunners() {
      const all: RunnerSummary[] = [];
      // Offset pagination, 100 per page: https://docs.gitlab.com/api/rest/#offset-based-pagination
      for (let page = 1; ; ) {
        const path = `/runners/all?type=instance_type&per_page=100&page=${page}`;
        const res = await call('GET', path);
        if (res.status !== 200) throw unexpected('GET', path, res);
        all.push(...parse(v.array(RunnerSummary), res, 'GET', path));
        const next = Number(res.headers['x-next-page']);
        if (!Number.isInteger(next) || next <= page) return all;
        page = next;
      }
    },
  };
}
