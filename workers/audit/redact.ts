// Audit records never hold secrets: any key that names one is replaced before the record is hashed.
const SECRET_KEY = /(secret|token|password|passwd|authorization|api[_-]?key|cookie|credential|private[_-]?key)/i;
// Hashes of secrets (e.g. `tokenSha256`) are not secrets, but keep them out too: they let one test guesses.
export const REDACTED = '[redacted]';

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactSecrets(inner);
  }
  return out;
}
