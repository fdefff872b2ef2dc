// Secrets never reach an error message or a log: known secret values and the usual credential shapes
// are masked before any vendor text is quoted.

const MASK = '[REDACTED]';

const SCHEME = /\b(Bearer|ApiKey|ApiToken|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const KEY_VALUE = /\b(client_secret|access_token|refresh_token|api_key|apikey|password|token)(["']?\s*[:=]\s*["']?)[^"'&\s,}]+/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Masks every known secret value and credential-looking token in `text`. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(MASK);
  }
  return out
    .replace(SCHEME, (_m, scheme: string) => `${scheme} ${MASK}`)
    .replace(KEY_VALUE, (_m, key: string, sep: string) => `${key}${sep}${MASK}`)
    .replace(JWT, MASK);
}

/** A short, redacted quote of a vendor's error text (never the whole body). */
export function quoteVendorText(text: string, secrets: readonly string[] = [], max = 300): string {
  const clean = redact(text, secrets).replace(/\s+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
