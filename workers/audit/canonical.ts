// The one JSON encoding the audit chain hashes. It is what `jq -cS .` prints (jq 1.6+): keys sorted by
// their UTF-8 bytes, no spaces. Numbers jq would re-format (fractions, huge integers) are stored as strings
// before hashing, so the stored record, the hash and an outside tool's view of it all agree.
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

// Lone surrogates become U+FFFD, as jq reads them; otherwise JSON.stringify would escape them differently.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

/** Turns any value into the JSON-safe, jq-stable shape that is stored and hashed. */
export function normalize(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return wellFormed(value);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (Object.is(value, -0)) return 0;
    // jq 1.6 prints doubles with 17 significant digits: only safe integers survive a round trip.
    return Number.isSafeInteger(value) ? value : String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => normalize(item));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (inner === undefined || typeof inner === 'function') continue;
      out[wellFormed(key)] = normalize(inner);
    }
    return out;
  }
  return String(value);
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Canonical JSON of an already normalized value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>).sort(compareKeys);
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash of a value's canonical form: the same bytes `jq -cS . | tr -d '\n' | sha256sum` reads. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(normalize(value)));
}
