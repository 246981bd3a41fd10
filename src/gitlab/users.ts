import * as v from 'valibot';
import type { GitLabTransport } from './client/transport.js';

// https://docs.gitlab.com/api/users/
const User = v.object({ id: v.number(), username: v.string(), name: v.string(), state: v.optional(v.string()) });
export type User = v.InferOutput<typeof User>;

export interface NewUser {
  username: string;
  name: string;
  email: string;
  password: string;
  /** Confirmed at once: workshop attendees get no mail. */
  skipConfirmation?: boolean;
}

export function usersApi(t: GitLabTransport) {
  return {
    /** The user with this username, if any (the filter is exact but case-insensitive, as usernames are: https://docs.gitlab.com/api/users/#for-non-administrator-users). */
    async byUsername(username: string): Promise<User | undefined> {
      const list = await t.all('/users', User, { username });
      return list.find((u) => u.username.toLowerCase() === username.toLowerCase());
    },
    /** Admin only: https://docs.gitlab.com/api/users/#create-a-user */
    create(user: NewUser): Promise<User> {
      return t.json('POST', '/users', User, {
        body: {
          username: user.username,
          name: user.name,
          email: user.email,
          password: user.password,
          skip_confirmation: user.skipConfirmation ?? true,
        },
        ok: [201],
      });
    },
    /** Admin only; `hard_delete` also removes what the user owned. False when there was nothing to delete. */
    async delete(id: number): Promise<boolean> {
      return t.remove(`/users/${id}`, { query: { hard_delete: true } });
    },
  };
}

export type UsersApi = ReturnType<typeof usersApi>;
