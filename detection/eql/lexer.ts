// The EQL lexer, following the token rules of Elasticsearch's EqlBase grammar: lower-case
// keywords, `in~`/`like~`/`regex~`, `name~` function names, backquoted identifiers with `` `` ``
// as the escape, `"..."` strings with `\t \b \f \n \r \" \' \\ \u{XX..XXXXXXXX}` (and `\uXXXX`,
// which some ES versions read) escapes, no NUL character; single-line
// `"""raw"""` strings, integers and decimals (`1.`, `.5`, `1e5`), `//` and nested `/* */`
// comments. The old `'...'`, `?"..."` and `?'...'` string forms are rejected with ES's messages.
import { EqlSyntaxError } from './errors.js';

export type TokenKind =
  | 'ident' // IDENTIFIER that is not a keyword
  | 'keyword'
  | 'tilde' // TILDE_IDENTIFIER: `name~`, text is the name without `~`
  | 'qident' // `quoted identifier`, value is the unescaped name
  | 'string'
  | 'int'
  | 'float'
  | 'op'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Source text (for `tilde`, without the `~`; for `string`/`qident` the raw source). */
  text: string;
  /** Decoded value of a string or quoted identifier. */
  value: string;
  line: number;
  column: number;
  start: number;
  end: number;
  /** Whether whitespace or a comment precedes this token (for `5 m` vs `5m`). */
  spaceBefore: boolean;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'and',
  'any',
  'by',
  'false',
  'in',
  'join',
  'like',
  'maxspan',
  'not',
  'null',
  'of',
  'or',
  'regex',
  'sample',
  'sequence',
  'true',
  'until',
  'where',
  'with',
]);

/** Keywords that take a `~` suffix as one token. */
const TILDE_KEYWORDS: ReadonlySet<string> = new Set(['in', 'like', 'regex']);

const IDENT_RE = /^[A-Za-z_@][A-Za-z0-9_]*$/;

/** Whether a name can be written bare (a plain IDENTIFIER that is not a keyword). */
export function isBareIdentifier(name: string): boolean {
  return IDENT_RE.test(name) && !KEYWORDS.has(name);
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isIdentPart(c: number): boolean {
  return isLetter(c) || isDigit(c) || c === 95;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

const TWO_CHAR_OPS = new Set(['==', '!=', '<=', '>=', '![']);
const ONE_CHAR_OPS = new Set(['=', '<', '>', ':', '+', '-', '*', '/', '%', '.', ',', '[', ']', '(', ')', '|', '?']);

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const n = src.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let space = false;

  const fail = (reason: string, at: number): never => {
    // Recompute line/column of `at` (may be inside a multi-line token).
    let l = 1;
    let ls = 0;
    for (let k = 0; k < at && k < n; k++) {
      if (src.charCodeAt(k) === 10) {
        l++;
        ls = k + 1;
      }
    }
    throw new EqlSyntaxError(reason, l, at - ls + 1);
  };

  const push = (kind: TokenKind, start: number, end: number, text: string, value = text): void => {
    tokens.push({ kind, text, value, line, column: start - lineStart + 1, start, end, spaceBefore: space });
    space = false;
  };

  // Advance line bookkeeping over src[from, to).
  const countLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      if (src.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    // whitespace: [ \r\n\t]
    if (c === 32 || c === 9 || c === 13 || c === 10) {
      if (c === 10) {
        line++;
        lineStart = i + 1;
      }
      i++;
      space = true;
      continue;
    }
    // comments
    if (c === 47 /* / */ && i + 1 < n) {
      const d = src.charCodeAt(i + 1);
      if (d === 47) {
        while (i < n && src.charCodeAt(i) !== 10) i++;
        space = true;
        continue;
      }
      if (d === 42) {
        const start = i;
        let depth = 0;
        while (i < n) {
          if (src.charCodeAt(i) === 47 && src.charCodeAt(i + 1) === 42) {
            depth++;
            i += 2;
          } else if (src.charCodeAt(i) === 42 && src.charCodeAt(i + 1) === 47) {
            depth--;
            i += 2;
            if (depth === 0) break;
          } else i++;
        }
        if (depth !== 0) fail("unterminated comment: '/*' has no closing '*/'", start);
        countLines(start, i);
        space = true;
        continue;
      }
    }

    const start = i;
    // identifiers, keywords, `name~`
    if (isLetter(c) || c === 95 || c === 64) {
      i++;
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      const word = src.slice(start, i);
      if (src.charCodeAt(i) === 126 /* ~ */ && isLetter(c)) {
        i++;
        if (TILDE_KEYWORDS.has(word)) push('keyword', start, i, word + '~');
        else push('tilde', start, i, word);
        continue;
      }
      push(KEYWORDS.has(word) ? 'keyword' : 'ident', start, i, word);
      continue;
    }
    // numbers
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      let isFloat = false;
      while (i < n && isDigit(src.charCodeAt(i))) i++;
      if (src.charCodeAt(i) === 46 && (i > start || isDigit(src.charCodeAt(i + 1)))) {
        isFloat = true;
        i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      const e = src.charCodeAt(i);
      if (e === 69 || e === 101) {
        let j = i + 1;
        const s = src.charCodeAt(j);
        if (s === 43 || s === 45) j++;
        if (isDigit(src.charCodeAt(j))) {
          while (j < n && isDigit(src.charCodeAt(j))) j++;
          i = j;
          isFloat = true;
        }
      }
      push(isFloat ? 'float' : 'int', start, i, src.slice(start, i));
      continue;
    }
    // strings
    if (c === 34 /* " */) {
      if (src.startsWith('"""', i)) {
        const close = src.indexOf('"""', i + 3);
        const nl = src.slice(i + 3, close === -1 ? n : close).search(/[\r\n]/);
        if (close !== -1 && nl === -1) {
          let end = close + 3;
          // `'"'? '"'?`: up to two more quotes belong to the token (`""""a""""` is `"a"`... see ES).
          if (src.charCodeAt(end) === 34) end++;
          if (src.charCodeAt(end) === 34) end++;
          push('string', start, end, src.slice(start, end), src.slice(start + 3, end - 3));
          i = end;
          continue;
        }
      }
      i++;
      let value = '';
      let chunk = i;
      for (;;) {
        if (i >= n) fail('unterminated string: missing the closing \'"\'', start);
        const ch = src.charCodeAt(i);
        if (ch === 34) break;
        if (ch === 10 || ch === 13) fail('unterminated string: a string cannot span lines (use \\n)', start);
        if (ch === 92 /* \ */) {
          value += src.slice(chunk, i);
          const esc = src[i + 1];
          switch (esc) {
            case 't':
              value += '\t';
              break;
            case 'b':
              value += '\b';
              break;
            case 'f':
              value += '\f';
              break;
            case 'n':
              value += '\n';
              break;
            case 'r':
              value += '\r';
              break;
            case '"':
              value += '"';
              break;
            case "'":
              value += "'";
              break;
            case '\\':
              value += '\\';
              break;
            case 'u': {
              if (src[i + 2] !== '{') {
                // Some ES versions also read `\uXXXX` (exactly four hex digits).
                const hex4 = src.slice(i + 2, i + 6);
                if (!/^[0-9A-Fa-f]{4}$/.test(hex4)) {
                  fail("invalid unicode escape: expected '\\u{' followed by 2-8 hex digits and '}', or '\\u' and 4 hex digits", i);
                }
                const code4 = parseInt(hex4, 16);
                if (code4 === 0) fail('Unicode sequence results in null', i);
                if (code4 >= 0xd800 && code4 <= 0xdfff) fail(`Invalid unicode character code, [${hex4}] is a surrogate code`, i);
                value += String.fromCharCode(code4);
                i += 6;
                chunk = i;
                continue;
              }
              let j = i + 3;
              while (j < n && isHex(src.charCodeAt(j))) j++;
              if (src[j] !== '}' || j === i + 3)
                fail("invalid unicode escape: expected '\\u{' followed by 2-8 hex digits and '}'", i);
              const hex = src.slice(i + 3, j);
              if (hex.length < 2 || hex.length > 8)
                fail(`Unicode sequence should use [2-8] hex digits, [\\u{${hex}}] has [${hex.length}]`, i);
              const code = parseInt(hex, 16);
              if (code === 0) fail('Unicode sequence results in null', i);
              if (code >= 0xd800 && code <= 0xdfff) fail(`Invalid unicode character code, [${hex}] is a surrogate code`, i);
              if (code > 0x10ffff) fail(`Invalid unicode character code [${hex}]`, i);
              value += String.fromCodePoint(code);
              i = j + 1;
              chunk = i;
              continue;
            }
            default:
              fail(
                `invalid escape sequence '\\${esc ?? ''}': use \\t \\b \\f \\n \\r \\" \\' \\\\ or \\u{XXXX}, or a """raw""" string`,
                i,
              );
          }
          i += 2;
          chunk = i;
          continue;
        }
        i++;
      }
      value += src.slice(chunk, i);
      i++;
      push('string', start, i, src.slice(start, i), value);
      continue;
    }
    if (c === 39 /* ' */) fail("Use double quotes [\"] to define string literals, not single quotes [']", start);
    if (c === 63 /* ? */ && (src[i + 1] === '"' || src[i + 1] === "'")) {
      fail(`Use triple double quotes [\"\"\"] to define unescaped string literals, not [?${src[i + 1]}]`, start);
    }
    // quoted identifiers
    if (c === 96 /* ` */) {
      i++;
      let value = '';
      for (;;) {
        if (i >= n) fail("unterminated quoted identifier: missing the closing '`'", start);
        if (src.charCodeAt(i) === 96) {
          if (src.charCodeAt(i + 1) === 96) {
            value += '`';
            i += 2;
            continue;
          }
          break;
        }
        value += src[i];
        i++;
      }
      i++;
      const text = src.slice(start, i);
      push('qident', start, i, text, value);
      countLines(start, i);
      continue;
    }
    // operators
    const two = src.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      i += 2;
      push('op', start, i, two);
      continue;
    }
    const one = src[i] as string;
    if (ONE_CHAR_OPS.has(one)) {
      i++;
      push('op', start, i, one);
      continue;
    }
    if (two === '!:') fail("the [!:] operator is not supported; write 'not field : \"value\"'", start);
    fail(`unexpected character '${one}'`, start);
  }
  tokens.push({ kind: 'eof', text: '<EOF>', value: '', line, column: n - lineStart + 1, start: n, end: n, spaceBefore: space });
  return tokens;
}
