// Runtime values of the EQL evaluator and the operations on them, with Elasticsearch's (Java's) rules:
// long arithmetic that fails on overflow and on integer division by zero, truncating division, a remainder
// with the dividend's sign, case folding that keeps one code point per code point, and three-valued logic.
//
// Values are `string | number | boolean | null`, plus a JS array for a multi-valued field (or the results of
// a function applied to each of its values). Whether a number is a Java long or a double is decided by the
// compiler from the literal kind or the mapping type; at run time an untyped JSON number counts as a long
// when it is integral.
import { EqlEvalError } from './eval-error.js';

export type Scalar = string | number | boolean | null;
/** Three-valued truth: null is "unknown" and never matches. */
export type Truth = boolean | null;

const LONG_MAX = 2n ** 63n - 1n;
const LONG_MIN = -(2n ** 63n);

export type ArithOp = '+' | '-' | '*' | '/' | '%';

function longResult(big: bigint, op: ArithOp, a: number, b: number): number {
  if (big > LONG_MAX || big < LONG_MIN) {
    throw new EqlEvalError('HW_ERR_EQL_ARITHMETIC', `long overflow in ${a} ${op} ${b}; use a float operand (e.g. ${a}.0) if a double is meant`);
  }
  return Number(big);
}

/**
 * Java arithmetic on two numbers. `float` is true when either operand is a double (static kind or a
 * non-integral value); otherwise both are longs.
 */
export function arith(op: ArithOp, a: number, b: number, float: boolean): number {
  if (float || !Number.isInteger(a) || !Number.isInteger(b)) {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': return a / b;
      case '%': return a % b;
    }
  }
  switch (op) {
    case '+': {
      const r = a + b;
      return Number.isSafeInteger(r) ? r : longResult(BigInt(a) + BigInt(b), op, a, b);
    }
    case '-': {
      const r = a - b;
      return Number.isSafeInteger(r) ? r : longResult(BigInt(a) - BigInt(b), op, a, b);
    }
    case '*': {
      const r = a * b;
      return Number.isSafeInteger(r) ? (r === 0 ? 0 : r) : longResult(BigInt(a) * BigInt(b), op, a, b);
    }
    case '/': {
      if (b === 0) throw new EqlEvalError('HW_ERR_EQL_ARITHMETIC', `integer division by zero in ${a} / 0; use a float divisor (0.0) for a double result`);
      if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return Math.trunc(a / b) || 0;
      return longResult(BigInt(a) / BigInt(b), op, a, b);
    }
    case '%': {
      if (b === 0) throw new EqlEvalError('HW_ERR_EQL_ARITHMETIC', `integer modulo by zero in ${a} % 0`);
      if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return a % b || 0;
      return longResult(BigInt(a) % BigInt(b), op, a, b);
    }
  }
}

/** Java's Double.toString, so `string(42.0)` is "42.0" and `concat(1.0E21)` matches ES. */
export function javaDoubleToString(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  // Scientific: one digit, '.', at least one digit, 'E', exponent without '+'.
  const [mant = '', exp = '0'] = v.toExponential().split('e');
  const m = mant.includes('.') ? mant : `${mant}.0`;
  return `${m}E${Number(exp)}`;
}

/** How EQL turns a value into a string (concat, string()): Java's formatting for each type. */
export function stringify(v: Scalar, float: boolean): string | null {
  if (v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (float || !Number.isInteger(v)) return javaDoubleToString(v);
  return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString();
}

const ASCII = /^[\x00-\x7f]*$/;
const foldCache = new Map<number, string>();

function foldCodePoint(cp: number): string {
  let f = foldCache.get(cp);
  if (f === undefined) {
    const c = String.fromCodePoint(cp);
    const lower = c.toLowerCase();
    // Java's Character.toLowerCase maps one code point to one; JS can expand (U+0130 -> "i̇").
    if ([...lower].length === 1) f = lower;
    else if (cp === 0x130) f = 'i';
    else f = c;
    foldCache.set(cp, f);
  }
  return f;
}

/** Case folding for the insensitive operators: per code point, like Lucene's case-insensitive matching. */
export function fold(s: string): string {
  if (ASCII.test(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) out += foldCodePoint(ch.codePointAt(0)!);
  return out;
}

/**
 * Orders two scalars of the same type (number, string by UTF-16 code unit like Java, boolean false < true).
 * Null when they cannot be compared (a null, or different types): ES rejects such queries at verification.
 */
export function compareScalars(a: unknown, b: unknown): number | null {
  const ta = typeof a;
  if (ta !== typeof b) return null;
  if (ta === 'number' || ta === 'string' || ta === 'bigint') {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : (a as number) === (b as number) ? 0 : null;
  }
  if (ta === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return null;
}

/** Three-valued `and` (Kleene). */
export function and3(a: Truth, b: Truth): Truth {
  if (a === false || b === false) return false;
  if (a === null || b === null) return null;
  return true;
}

/** Three-valued `or` (Kleene). */
export function or3(a: Truth, b: Truth): Truth {
  if (a === true || b === true) return true;
  if (a === null || b === null) return null;
  return false;
}

/** Three-valued `not`. */
export function not3(a: Truth): Truth {
  return a === null ? null : !a;
}

/**
 * The truth of a value used as a condition. A multi-valued result (one per field value) is true when any
 * value is true (ES: a document matches when any value passes), false when none is true but one is false.
 */
export function truthOf(v: unknown): Truth {
  if (v === true || v === false) return v;
  if (Array.isArray(v)) {
    let sawFalse = false;
    for (const x of v) {
      if (x === true) return true;
      if (x === false) sawFalse = true;
    }
    return sawFalse ? false : null;
  }
  return null;
}
