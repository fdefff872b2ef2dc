// Implementations of Elasticsearch's EQL functions, keyed by the canonical names in `functions.ts` (the
// signature registry). The compiler calls `call` once per combination of scalar argument values (it expands
// multi-valued fields itself), so an implementation only ever sees scalars. Behaviour follows ES, including
// where it differs from endgame EQL (see ../shared/docs/eql-semantics.md §10).
import { EqlEvalError } from './eval-error.js';
import { arith, fold, stringify, type ArithOp, type Scalar } from './values.js';

export interface CallContext {
  /** The `~` form (between~, endsWith~, indexOf~, startsWith~, stringContains~). */
  insensitive: boolean;
  /** Per argument: statically a double (float literal, float-typed field, float arithmetic). */
  floats: readonly boolean[];
}

export interface FunctionImpl {
  call(args: readonly Scalar[], ctx: CallContext): Scalar;
  /** Whether the numeric result is a double, given the arguments' static float-ness (default: never). */
  returnsFloat?(floats: readonly boolean[]): boolean;
  /** Whether the result may be a double whose kind is known only at run time (number()). */
  dynamicFloat?: boolean;
}

function arithImpl(op: ArithOp): FunctionImpl {
  return {
    call([a = null, b = null], ctx) {
      if (typeof a !== 'number' || typeof b !== 'number') return null;
      return arith(op, a, b, ctx.floats[0] === true || ctx.floats[1] === true);
    },
    returnsFloat: (floats) => floats.some(Boolean),
  };
}

function str(v: Scalar | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

function between(args: readonly Scalar[], ctx: CallContext): Scalar {
  const [srcV = null, leftV = null, rightV = null, greedyV = false] = args;
  const src = str(srcV);
  const left = str(leftV);
  const right = str(rightV);
  if (src === null || left === null || right === null) return null;
  const greedy = greedyV === true;
  const s = ctx.insensitive ? fold(src) : src;
  const l = ctx.insensitive ? fold(left) : left;
  const r = ctx.insensitive ? fold(right) : right;
  const start = s.indexOf(l);
  if (start < 0) return '';
  const from = start + l.length;
  const end = greedy ? s.lastIndexOf(r) : s.indexOf(r, from);
  if (end < from) return '';
  return src.slice(from, end);
}

// ---- cidrMatch -------------------------------------------------------------------------------------

interface Cidr {
  v6: boolean;
  bits: bigint;
  prefix: number;
}

function parseIPv4(s: string): bigint | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  let out = 0n;
  for (let k = 1; k <= 4; k++) {
    const n = Number(m[k]);
    if (n > 255) return null;
    out = (out << 8n) | BigInt(n);
  }
  return out;
}

function parseIPv6(input: string): bigint | null {
  let s = input;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  let tail: bigint[] = [];
  // A trailing dotted quad (::ffff:1.2.3.4) is two groups.
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [v4 >> 16n, v4 & 0xffffn];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string | undefined): bigint[] | null => {
    if (h === undefined || h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (head === null || rest === null) return null;
  const groups = [...head];
  const total = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (total > 7) return null;
    for (let k = total; k < 8; k++) groups.push(0n);
  } else if (total !== 8) return null;
  groups.push(...rest, ...tail);
  let out = 0n;
  for (const g of groups) out = (out << 16n) | g;
  return out;
}

/** Parses an IP into its family and bits; IPv4-mapped IPv6 addresses count as IPv4, as in Java. */
function parseIp(s: string): { v6: boolean; bits: bigint } | null {
  const v4 = parseIPv4(s);
  if (v4 !== null) return { v6: false, bits: v4 };
  if (!s.includes(':')) return null;
  const v6 = parseIPv6(s);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { v6: false, bits: v6 & 0xffffffffn };
  return { v6: true, bits: v6 };
}

const cidrCache = new Map<string, Cidr>();

function parseCidr(s: string): Cidr {
  let c = cidrCache.get(s);
  if (c !== undefined) return c;
  const slash = s.indexOf('/');
  const ip = parseIp(slash >= 0 ? s.slice(0, slash) : s);
  const width = ip?.v6 ? 128 : 32;
  const prefix = slash >= 0 ? Number(s.slice(slash + 1)) : width;
  if (ip === null || !Number.isInteger(prefix) || prefix < 0 || prefix > width || (slash >= 0 && !/^\d+$/.test(s.slice(slash + 1)))) {
    throw new EqlEvalError('HW_ERR_EQL_BAD_ARGUMENT', `cidrMatch: "${s}" is not a valid CIDR block; write it as 10.0.0.0/8 or fd00::/8`);
  }
  const shift = BigInt(width - prefix);
  c = { v6: ip.v6, bits: (ip.bits >> shift) << shift, prefix };
  cidrCache.set(s, c);
  return c;
}

function cidrMatch(args: readonly Scalar[]): Scalar {
  const [ipV = null, ...cidrs] = args;
  if (ipV === null || cidrs.some((c) => c === null)) return null;
  if (typeof ipV !== 'string') return false;
  const ip = parseIp(ipV);
  if (ip === null) return false;
  for (const c of cidrs) {
    if (typeof c !== 'string') continue;
    const cidr = parseCidr(c);
    if (cidr.v6 !== ip.v6) continue;
    const shift = BigInt((ip.v6 ? 128 : 32) - cidr.prefix);
    if ((ip.bits >> shift) << shift === cidr.bits) return true;
  }
  return false;
}

// ---- number() --------------------------------------------------------------------------------------

const DECIMAL_LONG = /^[+-]?\d+$/;
const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;

function toNumber(args: readonly Scalar[]): Scalar {
  const [v = null, baseV = null] = args;
  if (v === null) return null;
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (baseV !== null) {
    if (typeof baseV !== 'number' || !Number.isInteger(baseV) || baseV < 2 || baseV > 36) {
      throw new EqlEvalError('HW_ERR_EQL_BAD_ARGUMENT', `number: base ${String(baseV)} is not an integer between 2 and 36`);
    }
    let digits = s;
    let sign = 1;
    if (digits.startsWith('-') || digits.startsWith('+')) {
      sign = digits.startsWith('-') ? -1 : 1;
      digits = digits.slice(1);
    }
    if (baseV === 16 && /^0x/i.test(digits)) digits = digits.slice(2);
    const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, baseV);
    if (digits === '' || [...digits.toLowerCase()].some((c) => !alphabet.includes(c))) return null;
    const n = parseInt(digits, baseV) * sign;
    return Number.isFinite(n) ? n : null;
  }
  if (/^[+-]?0x[0-9a-f]+$/i.test(s)) {
    const neg = s.startsWith('-');
    const n = parseInt(s.replace(/^[+-]?0x/i, ''), 16);
    return neg ? -n : n;
  }
  if (DECIMAL_LONG.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n) || Math.abs(n) < 2 ** 63) return n;
  }
  if (JAVA_DOUBLE.test(s)) return Number(s.replace(/[fFdD]$/, ''));
  return null;
}

// ---- string helpers --------------------------------------------------------------------------------

function caseAware(test: (s: string, sub: string) => boolean): FunctionImpl {
  return {
    call([a = null, b = null], ctx) {
      if (typeof a !== 'string' || typeof b !== 'string') return null;
      return ctx.insensitive ? test(fold(a), fold(b)) : test(a, b);
    },
  };
}

function indexOf(args: readonly Scalar[], ctx: CallContext): Scalar {
  const [a = null, b = null] = args;
  if (typeof a !== 'string' || typeof b !== 'string') return null;
  let start = 0;
  if (args.length > 2) {
    const st = args[2];
    if (typeof st !== 'number') return null;
    start = Math.max(0, Math.trunc(st));
  }
  if (start > a.length) return null;
  const s = ctx.insensitive ? fold(a) : a;
  const sub = ctx.insensitive ? fold(b) : b;
  const i = s.indexOf(sub, start);
  return i < 0 ? null : i;
}

function substring(args: readonly Scalar[]): Scalar {
  const [s = null, startV = null, endV = null] = args;
  if (typeof s !== 'string') return null;
  const len = s.length;
  const norm = (v: Scalar, dflt: number): number => {
    if (typeof v !== 'number') return dflt;
    const n = Math.trunc(v);
    return n < 0 ? Math.max(0, len + n) : Math.min(n, len);
  };
  const start = norm(startV, 0);
  const end = norm(endV, len);
  return start >= end ? '' : s.slice(start, end);
}

export const FUNCTION_IMPLS: Readonly<Record<string, FunctionImpl>> = {
  add: arithImpl('+'),
  subtract: arithImpl('-'),
  multiply: arithImpl('*'),
  divide: arithImpl('/'),
  modulo: arithImpl('%'),
  between: { call: between },
  cidrMatch: { call: cidrMatch },
  concat: {
    call(args, ctx) {
      let out = '';
      for (let k = 0; k < args.length; k++) {
        const s = stringify(args[k] ?? null, ctx.floats[k] === true);
        if (s === null) return null;
        out += s;
      }
      return out;
    },
  },
  endsWith: caseAware((s, sub) => s.endsWith(sub)),
  startsWith: caseAware((s, sub) => s.startsWith(sub)),
  // ES documents an empty substring as never contained (endgame says it always is).
  stringContains: caseAware((s, sub) => sub !== '' && s.includes(sub)),
  indexOf: { call: indexOf },
  length: { call: ([s = null]) => (typeof s === 'string' ? s.length : null) },
  number: { call: toNumber, dynamicFloat: true },
  string: { call: ([v = null], ctx) => stringify(v, ctx.floats[0] === true) },
  substring: { call: substring },
};

/** The implementation for a registered function name (case-insensitive lookup as ES does). */
export function functionImpl(name: string): FunctionImpl {
  const impl = FUNCTION_IMPLS[name] ?? Object.entries(FUNCTION_IMPLS).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  if (impl === undefined) {
    throw new EqlEvalError('HW_ERR_EQL_UNKNOWN_FUNCTION', `unknown function ${name}(); see ES's EQL function reference for the supported ones`);
  }
  return impl;
}
