// Prints an EQL AST back to query text that parses to the same AST (parse(print(q)) deep-equals q
// for every AST the parser can produce). Parentheses are added only where the grammar's precedence
// needs them; strings use `"..."` with escapes; field segments that are not plain identifiers (or are
// keywords) are backquoted. A negative number literal, which the parser never produces (it makes a
// `negate` node), prints as `-N` and so reads back as `negate`.
import type { EventFilter, Expr, Literal, Pipe, Query, Stage, TimeSpan } from './ast.js';
import { isBareIdentifier } from './lexer.js';

// Binding strength of each node as the grammar builds it; an operand weaker than its slot needs ( ).
const OR = 1;
const AND = 2;
const NOT = 3;
const COMPARE = 4;
const ADD = 5;
const MUL = 6;
const UNARY = 7; // unary minus and the predicates (`in`, `:`, `like`, `regex`) on a primary
const PRIMARY = 8;

function level(e: Expr): number {
  switch (e.type) {
    case 'or':
      return OR;
    case 'and':
      return AND;
    case 'not':
      return NOT;
    case 'compare':
      return COMPARE;
    case 'arith':
      return e.op === '+' || e.op === '-' ? ADD : MUL;
    case 'negate':
    case 'in':
    case 'match':
      return UNARY;
    case 'literal':
      return e.kind !== 'string' && typeof e.value === 'number' && (e.value < 0 || Object.is(e.value, -0))
        ? UNARY
        : PRIMARY;
    case 'field':
    case 'call':
      return PRIMARY;
  }
}

function at(e: Expr, min: number): string {
  const s = printExpr(e);
  return level(e) < min ? `(${s})` : s;
}

const NEEDS_ESCAPE = /["\\\n\r\t\b\f]/;

export function printString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  let out = '"';
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      default:
        out += ch;
    }
  }
  return out + '"';
}

function printNumber(lit: Literal): string {
  const v = lit.value as number;
  if (lit.kind === 'integer') {
    if (Number.isSafeInteger(v)) return String(v);
    // Long.MAX_VALUE reads back as the double 2^63; print it as the long it came from.
    if (v >= 2 ** 63) return '9223372036854775807';
    return BigInt(Math.trunc(v)).toString();
  }
  if (!Number.isFinite(v)) return v > 0 ? '1e999' : '-1e999';
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

function printLiteral(lit: Literal): string {
  switch (lit.kind) {
    case 'string':
      return printString(String(lit.value));
    case 'integer':
    case 'float':
      return printNumber(lit);
    case 'boolean':
      return lit.value ? 'true' : 'false';
    case 'null':
      return 'null';
  }
}

function printFieldName(name: string): string {
  return name
    .split('.')
    .map((part) => (isBareIdentifier(part) ? part : '`' + part.replace(/`/g, '``') + '`'))
    .join('.');
}

export function printExpr(e: Expr): string {
  switch (e.type) {
    case 'literal':
      return printLiteral(e);
    case 'field':
      return (e.optional ? '?' : '') + printFieldName(e.name);
    case 'not':
      return `not ${at(e.expr, NOT)}`;
    case 'and':
    case 'or': {
      const lv = e.type === 'or' ? OR : AND;
      return `${at(e.left, lv)} ${e.type} ${at(e.right, lv + 1)}`;
    }
    case 'compare':
      return `${at(e.left, ADD)} ${e.op} ${at(e.right, ADD)}`;
    case 'arith': {
      const lv = level(e);
      return `${at(e.left, lv)} ${e.op} ${at(e.right, lv + 1)}`;
    }
    case 'negate': {
      const inner = at(e.expr, UNARY);
      // `- -x`, not `--x`, keeps it readable; both lex the same.
      return inner.startsWith('-') ? `- ${inner}` : `-${inner}`;
    }
    case 'in': {
      const op = `${e.negated ? 'not ' : ''}in${e.insensitive ? '~' : ''}`;
      return `${at(e.expr, PRIMARY)} ${op} (${e.values.map(printExpr).join(', ')})`;
    }
    case 'match': {
      const op = e.op === ':' ? ':' : `${e.op}${e.insensitive ? '~' : ''}`;
      const pats = e.patterns.map(printLiteral);
      const rhs = e.list || pats.length !== 1 ? `(${pats.join(', ')})` : (pats[0] as string);
      return `${at(e.expr, PRIMARY)} ${op} ${rhs}`;
    }
    case 'call':
      return `${e.name}${e.insensitive ? '~' : ''}(${e.args.map(printExpr).join(', ')})`;
  }
}

function printCategory(category: string | null): string {
  if (category === null) return 'any';
  return isBareIdentifier(category) ? category : printString(category);
}

function printFilter(f: EventFilter): string {
  return `${printCategory(f.category)} where ${printExpr(f.condition)}`;
}

function printKeys(keys: Expr[]): string {
  return keys.length ? ` by ${keys.map(printExpr).join(', ')}` : '';
}

function printStage(s: Stage): string {
  const open = s.missing ? '![' : '[';
  const runs = s.runs !== 1 ? ` with runs=${s.runs}` : '';
  return `${open}${printFilter(s.filter)}]${printKeys(s.by)}${runs}`;
}

function printSpan(t: TimeSpan): string {
  const m = /^(\d+) ?([a-z]+)$/.exec(t.raw);
  if (m && Number(m[1]) === t.value && m[2] === t.unit) return t.raw;
  return `${t.value}${t.unit}`;
}

function printPipe(p: Pipe): string {
  return `| ${p.name}${p.args.length ? ' ' + p.args.map(printExpr).join(', ') : ''}`;
}

export function printQuery(q: Query): string {
  let out: string;
  switch (q.type) {
    case 'event_query':
      out = printFilter(q.filter);
      break;
    case 'sequence':
      out = `sequence${printKeys(q.by)}${q.maxspan ? ` with maxspan=${printSpan(q.maxspan)}` : ''}`;
      for (const s of q.stages) out += `\n  ${printStage(s)}`;
      if (q.until) out += `\nuntil ${printStage(q.until)}`;
      break;
    case 'sample':
      out = `sample${printKeys(q.by)}`;
      for (const s of q.stages) out += `\n  ${printStage(s)}`;
      break;
  }
  for (const p of q.pipes) out += `\n${printPipe(p)}`;
  return out;
}
