// Elasticsearch wildcard patterns for `:`, `like` and `like~`: `*` is any run of characters, `?` exactly one
// character (code point), the pattern must cover the whole string, and a backslash is an ordinary character
// (ES has no escape for a literal `*` or `?`). Matchers are compiled once per pattern and cached.
import { fold } from './values.js';

export type StringMatcher = (value: string) => boolean;

const cache = new Map<string, StringMatcher>();

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function build(pattern: string, insensitive: boolean): StringMatcher {
  const p = insensitive ? fold(pattern) : pattern;
  const norm = insensitive ? fold : (s: string) => s;
  const hasQ = p.includes('?');
  const stars = p.split('*');
  if (!hasQ) {
    if (stars.length === 1) return insensitive ? (v) => fold(v) === p : (v) => v === p;
    if (stars.length === 2) {
      const [head = '', tail = ''] = stars;
      const min = head.length + tail.length;
      if (head === '') return (v) => norm(v).endsWith(tail);
      if (tail === '') return (v) => norm(v).startsWith(head);
      return (v) => {
        const s = norm(v);
        return s.length >= min && s.startsWith(head) && s.endsWith(tail);
      };
    }
    if (stars.length === 3 && stars[0] === '' && stars[2] === '') {
      const mid = stars[1] ?? '';
      return (v) => norm(v).includes(mid);
    }
  }
  let src = '';
  for (const ch of p) src += ch === '*' ? '.*' : ch === '?' ? '.' : escapeRegExp(ch);
  const re = new RegExp(`^${src}$`, 'su');
  return (v) => re.test(norm(v));
}

/** A matcher for one wildcard pattern; `insensitive` folds case on both sides. */
export function wildcardMatcher(pattern: string, insensitive: boolean): StringMatcher {
  const key = (insensitive ? 'i' : 's') + pattern;
  let m = cache.get(key);
  if (m === undefined) {
    m = build(pattern, insensitive);
    cache.set(key, m);
  }
  return m;
}

/** Whether `value` matches the wildcard `pattern` as a whole. */
export function wildcardMatch(value: string, pattern: string, insensitive = false): boolean {
  return wildcardMatcher(pattern, insensitive)(value);
}
