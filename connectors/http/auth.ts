// How a client authenticates: a static header (Elastic ApiKey, S1 ApiToken) or a cached bearer token
// (CrowdStrike, Entra) that is refreshed once when the vendor answers 401.

import type { TokenCache } from './token.js';

export interface AuthProvider {
  /** Headers to add to a request. */
  headers(): Promise<Record<string, string>>;
  /** After a 401: drop cached credentials and say whether a retry could succeed. */
  refresh?(): Promise<boolean>;
  /** Values to mask wherever text is quoted (keys, secrets, current token). */
  secrets(): string[];
}

/** A fixed header, e.g. `Authorization: ApiKey <encoded>`; a 401 is final (no refresh exists). */
export function staticHeaderAuth(name: string, value: string, secrets: string[] = []): AuthProvider {
  const secretPart = value.includes(' ') ? value.slice(value.indexOf(' ') + 1) : value;
  return {
    headers: async () => ({ [name]: value }),
    secrets: () => [secretPart, ...secrets],
  };
}

/** `Authorization: Bearer <token>` from a TokenCache; a 401 invalidates it for one re-auth. */
export function bearerAuth(cache: TokenCache, secrets: string[] = []): AuthProvider {
  return {
    headers: async () => ({ Authorization: `Bearer ${await cache.get()}` }),
    refresh: async () => {
      cache.invalidate();
      return true;
    },
    secrets: () => {
      const token = cache.current();
      return token ? [token, ...secrets] : secrets;
    },
  };
}
