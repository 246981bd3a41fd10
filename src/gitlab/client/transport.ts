import * as v from 'valibot';
import type { HttpsResponse, LabHttpsClient } from '../../net/https.js';
import { errnoCode, errorMessage, firstLine } from '../../util/errors.js';
import { sleep } from '../../util/time.js';
import { GitLabApiError } from './errors.js';

/**
 * The one way lab talks to GitLab's REST API: over the lab's HTTPS route (the proxy's
 * published port, the lab CA pinned), with the token in the `PRIVATE-TOKEN` header only
 * (https://docs.gitlab.com/api/rest/authentication/), never in a URL. No error message
 * quotes a request or a 2xx body. Resources (tokens, runners, projects, …) are small
 * modules on top of this.
 */

export interface TransportOptions {
  /** The GitLab host, e.g. `gitlab.test`. */
  host: string;
  /** A personal access token; omitted for endpoints that take a runner token in the body. */
  token?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Per request; GitLab answers the API in well under a second when it is healthy. */
  timeoutMs?: number | undefined;
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface CallOptions {
  query?: Query;
  body?: unknown;
  /**
   * Whether a failed attempt may be repeated. Reads and deletes are idempotent; a create
   * may have happened although its answer was lost, so it is retried only on answers that
   * say it was not processed (429).
   */
  idempotent?: boolean;
}

export interface GitLabTransport {
  readonly host: string;
  /** One call; any status comes back (the resource module decides what each means). */
  call(method: string, path: string, options?: CallOptions): Promise<HttpsResponse>;
  /** Parses a 2xx answer with `schema`; any other status is a GitLabApiError. */
  json<S extends v.GenericSchema>(
    method: string,
    path: string,
    schema: S,
    options?: CallOptions & { ok?: number[] },
  ): Promise<v.InferOutput<S>>;
  /** A single resource, or undefined when GitLab says 404. */
  find<S extends v.GenericSchema>(path: string, schema: S, options?: CallOptions): Promise<v.InferOutput<S> | undefined>;
  /** Deletes; false when there was nothing to delete (404). `ok` are the statuses that mean done (204 by default). */
  remove(path: string, options?: CallOptions & { ok?: number[] }): Promise<boolean>;
  /** Every page of a list (offset pagination, 100 per page). */
  all<S extends v.GenericSchema>(path: string, item: S, query?: Query): Promise<v.InferOutput<S>[]>;
  /** Parses an answer the caller already judged by its status. */
  parse<S extends v.GenericSchema>(schema: S, res: HttpsResponse, method: string, path: string): v.InferOutput<S>;
  /** The error for an answer the caller did not expect. */
  unexpected(method: string, path: string, res: HttpsResponse): GitLabApiError;
}

/** A gateway that is not there yet (or for a moment), and GitLab's own "not now" while it migrates. */
const RETRY_STATUS = new Set([429, 502, 503, 504]);
const RETRIES = 4;
const RETRY_DELAY_MS = 250;

const ErrorBody = v.object({
  message: v.optional(v.unknown()),
  error: v.optional(v.unknown()),
  error_description: v.optional(v.unknown()),
});

/** GitLab's words from an error body: `message` (string or field → messages), `error`, `error_description`. */
export function errorDetail(body: string): string {
  try {
    const parsed = v.safeParse(ErrorBody, JSON.parse(body));
    if (parsed.success) {
      const parts = [parsed.output.message, parsed.output.error, parsed.output.error_description].filter((x) => x !== undefined);
      return parts
        .map((p) => (typeof p === 'string' ? p : JSON.stringify(p)))
        .join(' ')
        .slice(0, 300);
    }
  } catch {
    // not JSON (e.g. an HTML error page from a proxy)
  }
  return '';
}

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, value] of Object.entries(query)) if (value !== undefined) params.set(k, String(value));
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

/** Retry-After in seconds, capped: GitLab sends it with 429. */
function retryAfterMs(res: HttpsResponse | undefined, attempt: number): number {
  const header = Number(res?.headers['retry-after']);
  if (Number.isFinite(header) && header > 0) return Math.min(header * 1000, 10_000);
  return RETRY_DELAY_MS * (attempt + 1);
}

export function gitlabTransport(client: LabHttpsClient, options: TransportOptions): GitLabTransport {
  const call = async (method: string, path: string, callOptions: CallOptions = {}): Promise<HttpsResponse> => {
    const idempotent = callOptions.idempotent ?? method !== 'POST';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token !== undefined) headers['private-token'] = options.token;
    if (callOptions.body !== undefined) headers['content-type'] = 'application/json';
    const full = withQuery(path, callOptions.query);
    for (let attempt = 0; ; attempt++) {
      let res: HttpsResponse | undefined;
      let failure: unknown;
      try {
        res = await client.request({
          host: options.host,
          path: `/api/v4${full}`,
          method,
          headers,
          ...(callOptions.body === undefined ? {} : { body: JSON.stringify(callOptions.body) }),
          timeoutMs: options.timeoutMs ?? 15_000,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        failure = err;
      }
      const retryable = res === undefined ? idempotent : res.status === 429 || (idempotent && RETRY_STATUS.has(res.status));
      if (!retryable || attempt >= RETRIES || options.signal?.aborted) {
        if (res) return res;
        throw new GitLabApiError(method, full, 0, errnoCode(failure) ?? firstLine(errorMessage(failure)));
      }
      await sleep(retryAfterMs(res, attempt), options.signal);
    }
  };

  const unexpected = (method: string, path: string, res: HttpsResponse) =>
    new GitLabApiError(method, path, res.status, errorDetail(res.body));

  const parse = <S extends v.GenericSchema>(schema: S, res: HttpsResponse, method: string, path: string): v.InferOutput<S> => {
    let value: unknown;
    try {
      value = JSON.parse(res.body);
    } catch {
      throw new GitLabApiError(method, path, res.status, 'the answer is not JSON');
    }
    const parsed = v.safeParse(schema, value);
    if (!parsed.success) throw new GitLabApiError(method, path, res.status, 'the answer does not have the documented shape');
    return parsed.output;
  };

  return {
    host: options.host,
    call,
    parse,
    unexpected,
    async json(method, path, schema, callOptions = {}) {
      const res = await call(method, path, callOptions);
      const ok = callOptions.ok ?? [200, 201];
      if (!ok.includes(res.status)) throw unexpected(method, path, res);
      return parse(schema, res, method, path);
    },
    async find(path, schema, callOptions = {}) {
      const res = await call('GET', path, callOptions);
      if (res.status === 404) return undefined;
      if (res.status !== 200) throw unexpected('GET', path, res);
      return parse(schema, res, 'GET', path);
    },
    async remove(path, callOptions = {}) {
      const res = await call('DELETE', path, callOptions);
      if (res.status === 404) return false;
      if (!(callOptions.ok ?? [204]).includes(res.status)) throw unexpected('DELETE', path, res);
      return true;
    },
    async all(path, item, query = {}) {
      const list: v.InferOutput<typeof item>[] = [];
      // Offset pagination: https://docs.gitlab.com/api/rest/#offset-based-pagination
      for (let page = 1; ; ) {
        const res = await call('GET', path, { query: { ...query, per_page: 100, page } });
        if (res.status !== 200) throw unexpected('GET', withQuery(path, query), res);
        list.push(...parse(v.array(item), res, 'GET', path));
        const next = Number(res.headers['x-next-page']);
        if (!Number.isInteger(next) || next <= page) return list;
        page = next;
      }
    },
  };
}
