// Who is asking: an API token (compared by its SHA-256, the only form config holds) or, when configured,
// the user header of a trusted SSO proxy that also proves itself with a shared secret from an allowed address.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResponseConfig, Role } from './config.js';
import { ResponseError } from './errors.js';

export interface Principal {
  id: string;
  role: Role;
  via: 'token' | 'sso';
}

export interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  /** The peer address of the connection (not X-Forwarded-For). */
  remoteAddress: string | undefined;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

function sameHex(digest: Buffer, hex: string): boolean {
  const other = Buffer.from(hex, 'hex');
  return other.length === digest.length && timingSafeEqual(digest, other);
}

function header(req: RequestLike, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export const unauthenticated = () =>
  new ResponseError('HW_ERR_UNAUTHENTICATED', 401, 'send Authorization: Bearer <your API token> (or sign in through the SSO proxy)');

/** Resolves the caller, or null when the request carries no usable credential. */
export function resolvePrincipal(config: ResponseConfig, req: RequestLike): Principal | null {
  const auth = header(req, 'authorization');
  const bearer = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) {
    const digest = sha256(bearer);
    const identity = config.identities.find((candidate) => candidate.tokenSha256 && sameHex(digest, candidate.tokenSha256));
    return identity ? { id: identity.id, role: identity.role, via: 'token' } : null;
  }
  const trusted = config.trustedHeader;
  if (trusted) {
    const user = header(req, trusted.userHeader);
    const secret = header(req, trusted.secretHeader);
    if (!user || !secret) return null;
    if (!req.remoteAddress || !trusted.allowedProxies.includes(req.remoteAddress)) return null;
    if (!sameHex(sha256(secret), trusted.secretSha256)) return null;
    const identity = config.identities.find((candidate) => candidate.id === user);
    return identity ? { id: identity.id, role: identity.role, via: 'sso' } : null;
  }
  return null;
}

export function requirePrincipal(config: ResponseConfig, req: RequestLike): Principal {
  const principal = resolvePrincipal(config, req);
  if (!principal) throw unauthenticated();
  return principal;
}

export const ROLE_RANK: Record<Role, number> = { viewer: 0, responder: 1, lead: 2, admin: 3 };

export function hasRole(principal: { role: string }, needed: Role): boolean {
  return (ROLE_RANK[principal.role as Role] ?? -1) >= ROLE_RANK[needed];
}
