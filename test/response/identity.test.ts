import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseResponseConfig } from '../../workers/response/config.js';
import { hasRole, resolvePrincipal } from '../../workers/response/identity.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

const config = parseResponseConfig({
  identities: [
    { id: 'alice', role: 'responder', tokenSha256: sha('alice-secret-token') },
    { id: 'lena', role: 'lead' },
    { id: 'root', role: 'admin', tokenSha256: sha('root-secret-token') },
  ],
  trustedHeader: { secretSha256: sha('proxy-shared-secret'), allowedProxies: ['10.0.0.5'] },
});

describe('identities', () => {
  it('resolves an API token by its SHA-256 only; unknown tokens resolve to nobody', () => {
    expect(resolvePrincipal(config, { headers: { authorization: 'Bearer alice-secret-token' }, remoteAddress: '192.0.2.1' })).toEqual({ id: 'alice', role: 'responder', via: 'token' });
    expect(resolvePrincipal(config, { headers: { authorization: 'Bearer guess' }, remoteAddress: '192.0.2.1' })).toBeNull();
    expect(resolvePrincipal(config, { headers: {}, remoteAddress: '192.0.2.1' })).toBeNull();
    expect(JSON.stringify(config)).not.toContain('alice-secret-token');
  });

  it('trusts the SSO header only from an allowed proxy address that also shows the shared secret', () => {
    const headers = { 'x-forwarded-user': 'lena', 'x-hivewatch-proxy-secret': 'proxy-shared-secret' };
    expect(resolvePrincipal(config, { headers, remoteAddress: '10.0.0.5' })).toEqual({ id: 'lena', role: 'lead', via: 'sso' });
    expect(resolvePrincipal(config, { headers, remoteAddress: '10.0.0.6' })).toBeNull();
    expect(resolvePrincipal(config, { headers: { ...headers, 'x-hivewatch-proxy-secret': 'wrong' }, remoteAddress: '10.0.0.5' })).toBeNull();
    expect(resolvePrincipal(config, { headers: { ...headers, 'x-forwarded-user': 'mallory' }, remoteAddress: '10.0.0.5' })).toBeNull();
    // Without trustedHeader configured, the header means nothing.
    const plain = parseResponseConfig({ identities: [{ id: 'lena', role: 'lead' }] });
    expect(resolvePrincipal(plain, { headers, remoteAddress: '10.0.0.5' })).toBeNull();
  });

  it('orders roles viewer < responder < lead < admin and rejects bad config with a named field', () => {
    expect(hasRole({ role: 'lead' }, 'responder')).toBe(true);
    expect(hasRole({ role: 'viewer' }, 'responder')).toBe(false);
    expect(hasRole({ role: 'system' }, 'viewer')).toBe(false);
    expect(() => parseResponseConfig({ identities: [{ id: 'x', role: 'boss' }] })).toThrow(/response\.identities\.0\.role/);
    expect(() => parseResponseConfig({ identities: [{ id: 'x', role: 'viewer', tokenSha256: 'plain-token' }] })).toThrow(/tokenSha256/);
    expect(() => parseResponseConfig({ identities: [{ id: 'x', role: 'viewer' }, { id: 'x', role: 'lead' }] })).toThrow(/appears twice/);
  });
});
