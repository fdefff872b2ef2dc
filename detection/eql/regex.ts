// Lucene regular expressions (what ES's `regex` / `regex~` run) for JavaScript. Lucene's dialect differs from
// JS's: the match is always the whole string, there are no anchors or shorthand classes (`\d` is the letter d),
// `"..."` quotes a literal, `@` is any string, `#` the empty language, `<n-m>` a decimal interval, `&` an
// intersection and `~` a complement, and `x{2}?` means "x{2} or nothing" (never a lazy quantifier).
// A pattern is parsed once into a small tree; without `&`/`~` it becomes a JS RegExp, otherwise a
// position-set matcher runs the tree directly. Compiled matchers are cached per pattern.
import { EqlEvalError } from './eval-error.js';
import { fold } from './values.js';
import type { StringMatcher } from './wildcard.js';

type Node =
  | { t: 'char'; cp: number }
  | { t: 'any' }
  | { t: 'anystr' }
  | { t: 'none' }
  | { t: 'eps' }
  | { t: 'class'; negated: boolean; ranges: Array<[number, number]> }
  | { t: 'concat'; items: Node[] }
  | { t: 'union'; items: Node[] }
  | { t: 'inter'; left: Node; right: Node }
  | { t: 'compl'; expr: Node }
  | { t: 'repeat'; expr: Node; min: number; max: number }
  | { t: 'interval'; min: number; max: number; digits: number };

class LuceneParser {
  private pos = 0;
  private readonly cps: number[];

  constructor(private readonly pattern: string) {
    this.cps = [...pattern].map((c) => c.codePointAt(0)!);
  }

  parse(): Node {
    const node = this.union();
    if (this.pos < this.cps.length) this.fail(`unexpected '${this.ch()}'`);
    return node;
  }

  private fail(why: string): never {
    throw new EqlEvalError('HW_ERR_EQL_BAD_PATTERN', `invalid Lucene regex "${this.pattern}" at character ${this.pos + 1}: ${why}; fix the regex literal`);
  }

  private ch(): string {
    const cp = this.cps[this.pos];
    return cp === undefined ? '' : String.fromCodePoint(cp);
  }

  private peek(chars: string): boolean {
    return this.pos < this.cps.length && chars.includes(this.ch());
  }

  private eat(c: string): boolean {
    if (this.ch() === c && this.pos < this.cps.length) {
      this.pos++;
      return true;
    }
    return false;
  }

  private union(): Node {
    const items = [this.inter()];
    while (this.eat('|')) items.push(this.inter());
    return items.length === 1 ? items[0]! : { t: 'union', items };
  }

  private inter(): Node {
    const left = this.concat();
    if (this.eat('&')) return { t: 'inter', left, right: this.inter() };
    return left;
  }

  private concat(): Node {
    const items: Node[] = [];
    while (this.pos < this.cps.length && !this.peek(')|&')) items.push(this.repeat());
    if (items.length === 0) return { t: 'eps' };
    return items.length === 1 ? items[0]! : { t: 'concat', items };
  }

  private repeat(): Node {
    let e = this.compl();
    while (this.peek('?*+{')) {
      if (this.eat('?')) e = { t: 'repeat', expr: e, min: 0, max: 1 };
      else if (this.eat('*')) e = { t: 'repeat', expr: e, min: 0, max: Infinity };
      else if (this.eat('+')) e = { t: 'repeat', expr: e, min: 1, max: Infinity };
      else {
        this.pos++; // '{'
        const min = this.int();
        let max = min;
        if (this.eat(',')) max = this.peek('}') ? Infinity : this.int();
        if (!this.eat('}')) this.fail("expected '}'");
        if (max < min) this.fail(`repeat {${min},${max}} has max below min`);
        e = { t: 'repeat', expr: e, min, max };
      }
    }
    return e;
  }

  private int(): number {
    const start = this.pos;
    while (this.peek('0123456789')) this.pos++;
    if (start === this.pos) this.fail('expected a number');
    return Number(String.fromCodePoint(...this.cps.slice(start, this.pos)));
  }

  private compl(): Node {
    if (this.eat('~')) return { t: 'compl', expr: this.compl() };
    return this.charClass();
  }

  private charClass(): Node {
    if (!this.eat('[')) return this.simple();
    const negated = this.eat('^');
    const ranges: Array<[number, number]> = [];
    do {
      const lo = this.classChar();
      if (this.peek('-') && this.cps[this.pos + 1] !== 0x5d) {
        this.pos++;
        const hi = this.classChar();
        if (hi < lo) this.fail('character range is out of order');
        ranges.push([lo, hi]);
      } else ranges.push([lo, lo]);
    } while (this.pos < this.cps.length && !this.peek(']'));
    if (!this.eat(']')) this.fail("expected ']'");
    return { t: 'class', negated, ranges };
  }

  private classChar(): number {
    if (this.pos >= this.cps.length) this.fail("expected ']'");
    if (this.eat('\\')) {
      if (this.pos >= this.cps.length) this.fail('dangling backslash');
    }
    return this.cps[this.pos++]!;
  }

  private simple(): Node {
    if (this.pos >= this.cps.length) this.fail('unexpected end of pattern');
    if (this.eat('.')) return { t: 'any' };
    if (this.eat('#')) return { t: 'none' };
    if (this.eat('@')) return { t: 'anystr' };
    if (this.eat('"')) {
      const items: Node[] = [];
      while (this.pos < this.cps.length && !this.peek('"')) items.push({ t: 'char', cp: this.cps[this.pos++]! });
      if (!this.eat('"')) this.fail('unterminated "..." string');
      return items.length === 1 ? items[0]! : items.length === 0 ? { t: 'eps' } : { t: 'concat', items };
    }
    if (this.eat('(')) {
      if (this.eat(')')) return { t: 'eps' };
      const e = this.union();
      if (!this.eat(')')) this.fail("expected ')'");
      return e;
    }
    if (this.eat('<')) {
      const start = this.pos;
      while (this.pos < this.cps.length && !this.peek('>')) this.pos++;
      const body = String.fromCodePoint(...this.cps.slice(start, this.pos));
      if (!this.eat('>')) this.fail("expected '>'");
      const m = /^(\d+)-(\d+)$/.exec(body);
      if (!m) this.fail(`named automaton <${body}> is not supported; use a numeric interval <n-m>`);
      const [a, b] = [m[1]!, m[2]!];
      let min = Number(a);
      let max = Number(b);
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) this.fail('interval bounds are too large');
      if (min > max) [min, max] = [max, min];
      return { t: 'interval', min, max, digits: a.length === b.length ? a.length : 0 };
    }
    if (this.peek(')|&*+?{}]~')) this.fail(`unexpected '${this.ch()}'`);
    if (this.eat('\\')) {
      if (this.pos >= this.cps.length) this.fail('dangling backslash');
    }
    return { t: 'char', cp: this.cps[this.pos++]! };
  }
}

function hasSetOps(n: Node): boolean {
  switch (n.t) {
    case 'inter':
    case 'compl':
      return true;
    case 'concat':
    case 'union':
      return n.items.some(hasSetOps);
    case 'repeat':
      return hasSetOps(n.expr);
    default:
      return false;
  }
}

function escChar(cp: number, inClass: boolean): string {
  const c = String.fromCodePoint(cp);
  if ('\\^$.*+?()[]{}|/'.includes(c) || (inClass && c === '-')) return `\\${c}`;
  if (cp < 0x20 || cp === 0x7f) return `\\u{${cp.toString(16)}}`;
  return c;
}

/** A regex source matching decimal numbers in [lo, hi] given as equal-length digit strings. */
function sameLengthRange(lo: string, hi: string): string {
  if (lo === hi) return lo;
  if (lo.length === 1) return `[${lo}-${hi}]`;
  const a = lo.charCodeAt(0) - 48;
  const b = hi.charCodeAt(0) - 48;
  const restLo = lo.slice(1);
  const restHi = hi.slice(1);
  if (a === b) return `${a}(?:${sameLengthRange(restLo, restHi)})`;
  const k = restLo.length;
  const parts = [`${a}(?:${sameLengthRange(restLo, '9'.repeat(k))})`];
  if (a + 1 <= b - 1) parts.push(`[${a + 1}-${b - 1}]\\d{${k}}`);
  parts.push(`${b}(?:${sameLengthRange('0'.repeat(k), restHi)})`);
  return parts.join('|');
}

function intervalSource(min: number, max: number, digits: number): string {
  if (digits > 0) return `(?:${sameLengthRange(String(min).padStart(digits, '0'), String(max).padStart(digits, '0'))})`;
  const parts: string[] = [];
  const sMin = String(min);
  const sMax = String(max);
  for (let len = sMin.length; len <= sMax.length; len++) {
    const lo = len === sMin.length ? sMin : `1${'0'.repeat(len - 1)}`;
    const hi = len === sMax.length ? sMax : '9'.repeat(len);
    parts.push(sameLengthRange(lo, hi));
  }
  // Lucene accepts any number of leading zeros when the bounds have different widths.
  return `0*(?:${parts.join('|')})`;
}

function toJs(n: Node): string {
  switch (n.t) {
    case 'char':
      return escChar(n.cp, false);
    case 'any':
      return '.';
    case 'anystr':
      return '.*';
    case 'none':
      return '(?!)';
    case 'eps':
      return '(?:)';
    case 'class':
      return `[${n.negated ? '^' : ''}${n.ranges.map(([a, b]) => (a === b ? escChar(a, true) : `${escChar(a, true)}-${escChar(b, true)}`)).join('')}]`;
    case 'concat':
      return n.items.map(toJs).join('');
    case 'union':
      return `(?:${n.items.map(toJs).join('|')})`;
    case 'repeat': {
      const q = n.min === 0 && n.max === 1 ? '?' : n.min === 0 && n.max === Infinity ? '*' : n.min === 1 && n.max === Infinity ? '+' : n.max === Infinity ? `{${n.min},}` : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`;
      return `(?:${toJs(n.expr)})${q}`;
    }
    case 'interval':
      return intervalSource(n.min, n.max, n.digits);
    case 'inter':
    case 'compl':
      throw new EqlEvalError('HW_ERR_EQL_UNSUPPORTED', 'internal: set operators have no JS RegExp form');
  }
}

/** Runs a tree with `&`/`~`: the set of end positions reachable from each start, memoised per node. */
function setMatcher(root: Node, insensitive: boolean): StringMatcher {
  const intervalRes = new Map<Node, RegExp>();
  return (value: string) => {
    const cps = [...(insensitive ? fold(value) : value)].map((c) => c.codePointAt(0)!);
    const len = cps.length;
    const memo = new Map<Node, Map<number, number[]>>();
    const inClass = (n: Extract<Node, { t: 'class' }>, cp: number): boolean => {
      const test = (c: number) => n.ranges.some(([a, b]) => c >= a && c <= b);
      let hit = test(cp);
      if (!hit && insensitive) {
        const up = String.fromCodePoint(cp).toUpperCase();
        if ([...up].length === 1) hit = test(up.codePointAt(0)!);
      }
      return n.negated ? !hit : hit;
    };
    const ends = (n: Node, i: number): number[] => {
      let perNode = memo.get(n);
      if (perNode === undefined) memo.set(n, (perNode = new Map()));
      const cached = perNode.get(i);
      if (cached !== undefined) return cached;
      let out: number[];
      switch (n.t) {
        case 'char': {
          const want = insensitive ? fold(String.fromCodePoint(n.cp)).codePointAt(0)! : n.cp;
          out = i < len && cps[i] === want ? [i + 1] : [];
          break;
        }
        case 'any':
          out = i < len ? [i + 1] : [];
          break;
        case 'anystr':
          out = Array.from({ length: len - i + 1 }, (_, k) => i + k);
          break;
        case 'none':
          out = [];
          break;
        case 'eps':
          out = [i];
          break;
        case 'class':
          out = i < len && inClass(n, cps[i]!) ? [i + 1] : [];
          break;
        case 'interval': {
          let re = intervalRes.get(n);
          if (re === undefined) intervalRes.set(n, (re = new RegExp(`^${intervalSource(n.min, n.max, n.digits)}$`)));
          out = [];
          for (let j = i + 1; j <= len; j++) if (re.test(String.fromCodePoint(...cps.slice(i, j)))) out.push(j);
          break;
        }
        case 'concat': {
          let cur = new Set([i]);
          for (const item of n.items) {
            const next = new Set<number>();
            for (const j of cur) for (const k of ends(item, j)) next.add(k);
            cur = next;
            if (cur.size === 0) break;
          }
          out = [...cur];
          break;
        }
        case 'union': {
          const s = new Set<number>();
          for (const item of n.items) for (const k of ends(item, i)) s.add(k);
          out = [...s];
          break;
        }
        case 'inter': {
          const right = new Set(ends(n.right, i));
          out = ends(n.left, i).filter((k) => right.has(k));
          break;
        }
        case 'compl': {
          const inner = new Set(ends(n.expr, i));
          out = [];
          for (let j = i; j <= len; j++) if (!inner.has(j)) out.push(j);
          break;
        }
        case 'repeat': {
          const result = new Set<number>();
          if (n.min === 0) result.add(i);
          let frontier = new Set([i]);
          const seen = new Set<number>();
          for (let count = 1; count <= n.max && frontier.size > 0; count++) {
            const next = new Set<number>();
            for (const j of frontier) for (const k of ends(n.expr, j)) next.add(k);
            if (count >= n.min) {
              for (const k of next) result.add(k);
              // Past the minimum, positions already expanded add nothing new.
              for (const k of [...next]) {
                if (seen.has(k)) next.delete(k);
                else seen.add(k);
              }
            }
            frontier = next;
          }
          out = [...result];
          break;
        }
      }
      perNode.set(i, out);
      return out;
    };
    return ends(root, 0).includes(len);
  };
}

const cache = new Map<string, StringMatcher>();

/** A whole-string matcher for a Lucene regexp; `insensitive` is `regex~`. Throws HW_ERR_EQL_BAD_PATTERN. */
export function regexMatcher(pattern: string, insensitive: boolean): StringMatcher {
  const key = (insensitive ? 'i' : 's') + pattern;
  let m = cache.get(key);
  if (m === undefined) {
    const tree = new LuceneParser(pattern).parse();
    if (hasSetOps(tree)) m = setMatcher(tree, insensitive);
    else {
      const re = new RegExp(`^(?:${toJs(tree)})$`, insensitive ? 'sui' : 'su');
      m = (v) => re.test(v);
    }
    cache.set(key, m);
  }
  return m;
}

/** The JS RegExp source for a Lucene pattern without `&`/`~` (exposed for tests and diagnostics). */
export function luceneToJsSource(pattern: string): string {
  const tree = new LuceneParser(pattern).parse();
  return `^(?:${toJs(tree)})$`;
}
