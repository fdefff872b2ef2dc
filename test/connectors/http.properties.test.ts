// Properties of the HTTP layer's pure parts, checked with fast-check: backoff bounds, vendor header
// parsing, redaction, pagination walks and the Windows argv splitter.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitWindowsArgs } from '../../connectors/crowdstrike/index.js';
import { collectPages, crowdstrikeRetryPolicy, fullJitter, offsetPage, parseEpochSeconds, parseRetryAfter, redact } from '../../connectors/http/index.js';

describe('properties', () => {
  it('full jitter stays within [0, min(cap, base * 2^(attempt-1))]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 120_000 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, baseMs, capMs, r) => {
        const d = fullJitter(attempt, { baseMs, capMs, random: () => r });
        return d >= 0 && d <= Math.min(capMs, baseMs * 2 ** (attempt - 1));
      }),
    );
  });

  it('an epoch-seconds header always yields header*1000 - now (never negative)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }), fc.integer({ min: -3600, max: 3600 }), (nowS, delta) => {
        const now = nowS * 1000;
        const wait = parseEpochSeconds(String(nowS + delta), now);
        const policyWait = crowdstrikeRetryPolicy().delayMs({ attempt: 1, status: 429, headers: { 'x-ratelimit-retryafter': String(nowS + delta) }, now });
        return wait === Math.max(0, delta * 1000) && policyWait === wait;
      }),
    );
  });

  it('Retry-After as delta seconds or HTTP-date agree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }), (delta, nowS) => {
        const now = nowS * 1000;
        return parseRetryAfter(String(delta), now) === delta * 1000 && parseRetryAfter(new Date(now + delta * 1000).toUTCString(), now) === delta * 1000;
      }),
    );
  });

  it('redaction never leaves a known secret in the text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 40 }), fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 }), (secret, before, after) => {
        return !redact(`${before}${secret}${after}`, [secret]).includes(secret);
      }),
    );
  });

  it('an offset walk collects every item exactly once, whatever the page size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 50 }), async (total, size) => {
        const all = Array.from({ length: total }, (_, i) => i);
        const got = await collectPages<number, number>(async (o) => offsetPage(all.slice(o ?? 0, (o ?? 0) + size), o ?? 0, total), { maxPages: 1000 });
        expect(got.items).toEqual(all);
        expect(got.truncated).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('splitting a command line built from quoted args gives the args back', () => {
    const arg = fc.stringMatching(/^[A-Za-z0-9 _.:\\-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 6 }), (args) => {
        // CommandLineToArgvW quoting: backslashes before the closing quote are doubled
        const quoted = args.map((a) => `"${a.replace(/(\\+)$/, '$1$1')}"`).join(' ');
        expect(splitWindowsArgs(quoted)).toEqual(args);
      }),
    );
  });
});
