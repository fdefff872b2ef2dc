// Request authentication: bearer token (or X-API-Key), HTTP Basic, or an HMAC-SHA256 signature of the raw body.
// Several credentials of each kind may be active at once, so keys rotate without downtime. Every secret is
// compared in constant time against every configured one (no early exit that leaks which one matched).
// Exported for the response routes: `app.authenticate` (a preHandler) and `request.principal`.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { HivewatchConfig } from '../config.js';
import { HttpError } from './errors.js';

export type AuthMethod = 'bearer' | 'basic' | 'hmac' | 'anonymous';

/** Who sent a request. `id` never contains a secret: a user name, a key id, or a token fingerprint. */
export interface Principal {
  method: AuthMethod;
  id: string;
}

export const HMAC_HEADERS = {
  timestamp: 'x-hivewatch-timestamp',
  nonce: 'x-hivewatch-nonce',
  signature: 'x-hivewatch-signature',
  keyId: 'x-hivewatch-key-id',
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** The raw request body, kept for HMAC verification. */
    rawBody?: Buffer;
  }
  interface FastifyInstance {
    /** preHandler: 401 unless the request carries valid credentials; sets request.principal. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

const digest = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/** Constant-time equality for strings of any length (both sides hashed to 32 bytes first). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Index of the first match, after comparing against every candidate (digests of the candidates, precomputed). */
function matchDigests(candidates: Buffer[], presented: Buffer): number {
  let found = -1;
  candidates.forEach((candidate, index) => {
    if (timingSafeEqual(candidate, presented) && found < 0) found = index;
  });
  return found;
}

function matchAll(candidates: (string | Buffer)[], presented: string | Buffer): number {
  return matchDigests(candidates.map(digest), digest(presented));
}

export function tokenFingerprint(token: string): string {
  return fingerprintOf(digest(token));
}

const fingerprintOf = (tokenDigest: Buffer) => `token:${tokenDigest.toString('hex').slice(0, 12)}`;

/** The signature a sender puts in X-Hivewatch-Signature: `sha256=` + hex HMAC of `<timestamp>.<nonce>.<raw body>`. */
export function signBody(secret: string, timestamp: string | number, nonce: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${nonce}.`).update(body).digest('hex')}`;
}

const unauthorized = (code: string, message: string) =>
  new HttpError(401, code, message, { 'WWW-Authenticate': 'Bearer realm="hivewatch", Basic realm="hivewatch"' });

export interface AuthOptions {
  config: HivewatchConfig;
  /** Stores HMAC nonces (SET NX with TTL) so a captured request cannot be replayed. */
  redis: Redis;
  now?: () => number;
}

export interface Authenticator {
  /** Returns the principal or throws HttpError 401. `rawBody` is needed for HMAC. */
  verify(headers: FastifyRequest['headers'], rawBody: Buffer | undefined): Promise<Principal>;
  preHandler(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

function header(headers: FastifyRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function createAuthenticator({ config, redis, now = Date.now }: AuthOptions): Authenticator {
  const auth = config.auth;
  // Digests of the configured secrets, computed once: a request hashes only what it presents.
  const tokenDigests = auth.bearerTokens.map(digest);
  const basicUsers = auth.basicUsers.map((user) => ({ user: user.user, userDigest: digest(user.user), passwordDigest: digest(user.password) }));
  const checkToken = (value: string): Principal | null => {
    const presented = digest(value);
    return tokenDigests.length > 0 && matchDigests(tokenDigests, presented) >= 0 ? { method: 'bearer', id: fingerprintOf(presented) } : null;
  };
  const nonceTtlSeconds = auth.hmacWindowSeconds * 2;

  async function verifyHmac(headers: FastifyRequest['headers'], rawBody: Buffer): Promise<Principal> {
    const timestamp = header(headers, HMAC_HEADERS.timestamp);
    const nonce = header(headers, HMAC_HEADERS.nonce);
    const signature = header(headers, HMAC_HEADERS.signature)!;
    const keyId = header(headers, HMAC_HEADERS.keyId);
    if (!timestamp || !/^\d{9,11}$/.test(timestamp)) {
      throw unauthorized('HW_ERR_AUTH_HMAC_TIMESTAMP', `${HMAC_HEADERS.timestamp} must be the Unix time in seconds`);
    }
    if (!nonce || !/^[A-Za-z0-9_-]{8,128}$/.test(nonce)) {
      throw unauthorized('HW_ERR_AUTH_HMAC_NONCE', `${HMAC_HEADERS.nonce} must be 8-128 characters of [A-Za-z0-9_-], unique per request`);
    }
    const skew = Math.abs(now() / 1000 - Number(timestamp));
    if (skew > auth.hmacWindowSeconds) {
      throw unauthorized('HW_ERR_AUTH_EXPIRED', `${HMAC_HEADERS.timestamp} is outside the ${auth.hmacWindowSeconds}s replay window; sign with the current time`);
    }
    const keys = keyId ? auth.hmacKeys.filter((key) => key.id === keyId) : auth.hmacKeys;
    const presented = signature.startsWith('sha256=') ? signature : `sha256=${signature}`;
    const expected = keys.map((key) => signBody(key.secret, timestamp, nonce, rawBody));
    const index = matchAll(expected, presented.toLowerCase());
    if (index < 0) throw unauthorized('HW_ERR_AUTH_INVALID', `${HMAC_HEADERS.signature} does not match any active key`);
    // Only a correctly signed request may burn its nonce, so forged requests cannot block real ones.
    const key = keys[index]!;
    const stored = await redis.set(`${config.redis.prefix}:auth:nonce:${key.id}:${nonce}`, '1', 'EX', nonceTtlSeconds, 'NX');
    if (stored !== 'OK') throw unauthorized('HW_ERR_AUTH_REPLAY', `${HMAC_HEADERS.nonce} was already used; send a fresh nonce with every request`);
    return { method: 'hmac', id: `hmac:${key.id}` };
  }

  async function verify(headers: FastifyRequest['headers'], rawBody: Buffer | undefined): Promise<Principal> {
    if (header(headers, HMAC_HEADERS.signature) !== undefined) {
      if (auth.hmacKeys.length === 0) throw unauthorized('HW_ERR_AUTH_INVALID', 'HMAC signatures are not enabled (auth.hmacKeys)');
      return verifyHmac(headers, rawBody ?? Buffer.alloc(0));
    }
    const authorization = header(headers, 'authorization');
    const apiKey = header(headers, 'x-api-key');
    if (authorization) {
      const space = authorization.indexOf(' ');
      const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
      const value = space < 0 ? '' : authorization.slice(space + 1).trim();
      if (scheme === 'bearer') {
        const principal = checkToken(value);
        if (principal) return principal;
        throw unauthorized('HW_ERR_AUTH_INVALID', 'the bearer token is not valid');
      }
      if (scheme === 'basic') {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const user = colon < 0 ? decoded : decoded.slice(0, colon);
        const password = colon < 0 ? '' : decoded.slice(colon + 1);
        // Compare user and password of every configured user so timing does not reveal which users exist.
        const userDigest = digest(user);
        const passwordDigest = digest(password);
        let matched: string | null = null;
        for (const candidate of basicUsers) {
          const userOk = timingSafeEqual(candidate.userDigest, userDigest);
          const passwordOk = timingSafeEqual(candidate.passwordDigest, passwordDigest);
          if (userOk && passwordOk && matched === null) matched = candidate.user;
        }
        if (matched !== null) return { method: 'basic', id: `user:${matched}` };
        throw unauthorized('HW_ERR_AUTH_INVALID', 'the user name or password is not valid');
      }
      throw unauthorized('HW_ERR_AUTH_SCHEME', 'Authorization must use the Bearer or Basic scheme');
    }
    if (apiKey) {
      const principal = checkToken(apiKey);
      if (principal) return principal;
      throw unauthorized('HW_ERR_AUTH_INVALID', 'the X-API-Key is not valid');
    }
    if (auth.allowAnonymous) return { method: 'anonymous', id: 'anonymous' };
    throw unauthorized('HW_ERR_AUTH_MISSING', 'credentials required: send Authorization: Bearer/Basic, X-API-Key, or an X-Hivewatch-Signature');
  }

  return {
    verify,
    async preHandler(request) {
      request.principal = await verify(request.headers, request.rawBody ?? (Buffer.isBuffer(request.body) ? request.body : undefined));
    },
  };
}

/** Checks Bull Board's admin credentials (HTTP Basic). */
export function verifyAdmin(config: HivewatchConfig, authorization: string | undefined): boolean {
  if (!config.admin || !authorization?.toLowerCase().startsWith('basic ')) return false;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userOk = safeEqual(config.admin.user, decoded.slice(0, colon));
  const passwordOk = safeEqual(config.admin.password, decoded.slice(colon + 1));
  return userOk && passwordOk;
}
