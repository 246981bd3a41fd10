import * as v from 'valibot';
import type { GitLabTransport } from './client/transport.js';

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

/** The personal access token the client authenticates with. */
export function tokensApi(t: GitLabTransport) {
  return {
    /** The token's own record; undefined when GitLab rejects it (401: unknown, expired or revoked). */
    async self(): Promise<TokenInfo | undefined> {
      const path = '/personal_access_tokens/self';
      const res = await t.call('GET', path);
      if (res.status === 401) return undefined;
      if (res.status !== 200) throw t.unexpected('GET', path, res);
      return t.parse(TokenInfo, res, 'GET', path);
    },
    /** Revokes the token used for the call. https://docs.gitlab.com/api/personal_access_tokens/#revoke-a-personal-access-token */
    async revokeSelf(): Promise<void> {
      const path = '/personal_access_tokens/self';
      const res = await t.call('DELETE', path);
      if (res.status !== 204 && res.status !== 401) throw t.unexpected('DELETE', path, res);
    },
  };
}

export type TokensApi = ReturnType<typeof tokensApi>;
