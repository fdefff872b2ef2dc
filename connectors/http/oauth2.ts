// OAuth2 client-credentials grant (CrowdStrike, Entra): one helper that posts the form through the
// vendor's HttpClient and hands the token to a TokenCache.

import { z } from 'zod';
import type { HttpClient } from './client.js';
import { ConnectorError } from './errors.js';
import type { IssuedToken } from './token.js';

const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  token_type: z.string().optional(),
});

export interface ClientCredentials {
  /** Token path or URL, e.g. `/oauth2/token` or `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** Extra form fields (e.g. CrowdStrike `member_cid`). */
  extra?: Record<string, string>;
  /** Whether client_id/secret go in the form (default) or a Basic header. */
  basicAuth?: boolean;
}

/** A fetch function for TokenCache that runs the client-credentials grant. */
export function clientCredentialsGrant(http: HttpClient, creds: ClientCredentials): () => Promise<IssuedToken> {
  return async () => {
    const form: Record<string, string> = { grant_type: 'client_credentials', ...(creds.extra ?? {}) };
    const headers: Record<string, string> = {};
    if (creds.basicAuth) {
      headers.Authorization = `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`;
    } else {
      form.client_id = creds.clientId;
      form.client_secret = creds.clientSecret;
    }
    if (creds.scope) form.scope = creds.scope;
    let res;
    try {
      res = await http.request({ operation: 'oauth2 token', method: 'POST', url: creds.tokenUrl, data: form, form: true, headers, noAuth: true, idempotent: true });
    } catch (e) {
      if (e instanceof ConnectorError && (e.status === 400 || e.status === 401 || e.status === 403)) {
        throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_AUTH', vendor: e.vendor, operation: 'oauth2 token', detail: e.detail, status: e.status, hint: 'check the client id and secret (clientId / clientSecret, or their *_FILE) and that the API client is enabled' });
      }
      throw e;
    }
    const parsed = TokenResponse.safeParse(res.data);
    if (!parsed.success) {
      throw http.error({ operation: 'oauth2 token' }, 'HW_ERR_CONNECTOR_BAD_RESPONSE', `token response lacks access_token/expires_in (HTTP ${res.status})`, res.status);
    }
    return { accessToken: parsed.data.access_token, expiresIn: parsed.data.expires_in };
  };
}
