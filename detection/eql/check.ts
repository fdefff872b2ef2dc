// Semantic checks: what Elasticsearch rejects in a syntactically valid query, and nothing more.
//   - functions: known name, arity, `~` only on between/endsWith/indexOf/startsWith/stringContains,
//     literal arguments of the wrong type, constant-only arguments (cidrMatch's CIDRs, between's greedy);
//   - `:`/`like`/`regex` patterns are strings (the grammar already forces literals);
//   - comparisons and `in` lists may not compare a field with another field ("Comparisons against
//     fields are not (currently) supported"), even through functions or arithmetic;
//   - conditions and `and`/`or`/`not` operands must be boolean, comparison sides of one type, and
//     the left of `:`/`like`/`regex` a string, whenever the types are evident without a mapping;
//   - join keys are fields, every stage has the same number of them;
//   - `with runs=N` is 1..100 and a sequence has at least 2 stages counting runs; missing-event stages `![...]` need `maxspan`, at least one positive
//     stage, and may not be the `until` stage or part of a sample;
//   - pipes: `head`/`tail` take one non-negative integer, `filter` one condition.
// Errors are EqlSemanticError (code HW_ERR_EQL_SEMANTIC) at the node's position when known.
import type { Expr, EventFilter, Pipe, Query, Stage } from './ast.js';
import { EqlSemanticError, spansOf, type ParseSpans } from './errors.js';
import { argSpec, lookupFunction } from './functions.js';
import { printExpr } from './printer.js';

type Ty = 'boolean' | 'number' | 'string' | 'null' | 'unknown';

// The positions of the AST being checked (checking is synchronous, so one slot is enough).
let current: ParseSpans | undefined;

function fail(reason: string, node: object | undefined, fallback?: object): never {
  const span = (node && current?.nodes.get(node)) ?? (fallback && current?.nodes.get(fallback));
  throw new EqlSemanticError(reason, span?.line ?? 1, span?.column ?? 1);
}

/** Fails at the `with runs=N` of a stage when it was written, else at the stage. */
function failRuns(reason: string, st: Stage): never {
  const span = current?.runs.get(st.filter) ?? current?.nodes.get(st);
  throw new EqlSemanticError(reason, span?.line ?? 1, span?.column ?? 1);
}

/** Runs `fn` with the positions recorded for `root` (if the parser made it). */
function withSpans(root: object, fn: () => void): void {
  const saved = current;
  current = spansOf(root);
  try {
    fn();
  } finally {
    current = saved;
  }
}

/** Whether an expression reads a field anywhere inside. */
export function hasField(e: Expr): boolean {
  switch (e.type) {
    case 'field':
      return true;
    case 'literal':
      return false;
    case 'not':
    case 'negate':
      return hasField(e.expr);
    case 'and':
    case 'or':
    case 'compare':
    case 'arith':
      return hasField(e.left) || hasField(e.right);
    case 'in':
      return hasField(e.expr) || e.values.some(hasField);
    case 'match':
      return hasField(e.expr);
    case 'call':
      return e.args.some(hasField);
  }
}

/**
 * Whether an expression reads a non-optional field. An optional `?field` that the mapping lacks
 * folds to null in ES, so a comparison with one cannot be rejected without the mapping
 * (ES's own QA runs `?x == ?y`).
 */
export function hasRequiredField(e: Expr): boolean {
  if (e.type === 'field') return !e.optional;
  if (e.type === 'literal') return false;
  switch (e.type) {
    case 'not':
    case 'negate':
      return hasRequiredField(e.expr);
    case 'and':
    case 'or':
    case 'compare':
    case 'arith':
      return hasRequiredField(e.left) || hasRequiredField(e.right);
    case 'in':
      return hasRequiredField(e.expr) || e.values.some(hasRequiredField);
    case 'match':
      return hasRequiredField(e.expr);
    case 'call':
      return e.args.some(hasRequiredField);
  }
}

/** The evident type of an expression ('unknown' for fields and anything depending on them). */
function typeOf(e: Expr): Ty {
  switch (e.type) {
    case 'literal':
      if (e.kind === 'integer' || e.kind === 'float') return 'number';
      return e.kind;
    case 'field':
      return 'unknown';
    case 'not':
    case 'and':
    case 'or':
    case 'compare':
    case 'in':
    case 'match':
      return 'boolean';
    case 'arith':
    case 'negate':
      return 'number';
    case 'call':
      return lookupFunction(e.name)?.returns ?? 'unknown';
  }
}

/** A type that a literal check can rely on (not null, not unknown). */
function known(t: Ty): boolean {
  return t === 'string' || t === 'number' || t === 'boolean';
}

function describeTy(t: Ty): string {
  return t === 'number' ? 'a number' : t === 'string' ? 'a string' : t === 'null' ? 'null' : t;
}

function requireBoolean(e: Expr, what: string): void {
  const t = typeOf(e);
  if (t === 'number' || t === 'string') {
    fail(`${what} must be a boolean condition, found ${describeTy(t)} [${printExpr(e)}]`, e);
  }
}

function checkCall(e: Extract<Expr, { type: 'call' }>): void {
  const sig = lookupFunction(e.name);
  if (!sig) fail(`Unknown function [${e.name}]`, e);
  const shown = `${sig.name}${e.insensitive ? '~' : ''}`;
  if (e.insensitive && !sig.caseInsensitive) {
    fail(
      `function [${sig.name}] has no case-insensitive form; '~' is only allowed on between, endsWith, indexOf, startsWith and stringContains`,
      e,
    );
  }
  const n = e.args.length;
  if (n < sig.minArgs || n > sig.maxArgs) {
    const want =
      sig.maxArgs === Infinity
        ? `at least ${sig.minArgs}`
        : sig.minArgs === sig.maxArgs
          ? `exactly ${sig.minArgs}`
          : `${sig.minArgs} to ${sig.maxArgs}`;
    fail(`function [${shown}] takes ${want} argument${sig.maxArgs === 1 ? '' : 's'} but got ${n}`, e);
  }
  e.args.forEach((arg, i) => {
    const spec = argSpec(sig, i);
    if (spec.constant && hasField(arg)) {
      fail(`argument ${i + 1} of [${shown}] must be a constant, found [${printExpr(arg)}]`, arg, e);
    }
    const t = typeOf(arg);
    if (t === 'unknown' || t === 'null' || spec.kind === 'any') return;
    const ok =
      spec.kind === 'string' || spec.kind === 'ip'
        ? t === 'string'
        : spec.kind === 'number' || spec.kind === 'integer'
          ? t === 'number'
          : t === 'boolean';
    const intOk = spec.kind !== 'integer' || arg.type !== 'literal' || arg.kind !== 'float';
    if (!ok || !intOk) {
      const want = spec.kind === 'ip' ? 'an ip or string' : spec.kind === 'integer' ? 'an integer' : `a ${spec.kind}`;
      fail(`argument ${i + 1} of [${shown}] must be ${want}, found ${describeTy(t)} [${printExpr(arg)}]`, arg, e);
    }
  });
}

function checkNode(e: Expr): void {
  switch (e.type) {
    case 'literal':
    case 'field':
      return;
    case 'not':
      requireBoolean(e.expr, 'the operand of [not]');
      checkNode(e.expr);
      return;
    case 'and':
    case 'or':
      requireBoolean(e.left, `the left side of [${e.type}]`);
      requireBoolean(e.right, `the right side of [${e.type}]`);
      checkNode(e.left);
      checkNode(e.right);
      return;
    case 'compare': {
      checkNode(e.left);
      checkNode(e.right);
      const lt = typeOf(e.left);
      const rt = typeOf(e.right);
      if (known(lt) && known(rt) && lt !== rt) {
        fail(
          `first argument of [${printExpr(e)}] is ${describeTy(lt)} so the second argument must also be ${describeTy(lt)}, but it is ${describeTy(rt)} [${printExpr(e.right)}]`,
          e.right,
          e,
        );
      }
      if (hasRequiredField(e.left) && hasRequiredField(e.right)) {
        fail(
          `Comparisons against fields are not (currently) supported; offender [${printExpr(e.right)}] in [${printExpr(e)}]`,
          e.right,
          e,
        );
      }
      return;
    }
    case 'in':
      checkNode(e.expr);
      for (const v of e.values) {
        checkNode(v);
        if (hasRequiredField(v)) {
          fail(
            `Comparisons against fields are not (currently) supported; offender [${printExpr(v)}] in [${printExpr(e)}]`,
            v,
            e,
          );
        }
      }
      return;
    case 'match': {
      checkNode(e.expr);
      const t = typeOf(e.expr);
      if (t === 'number' || t === 'boolean') {
        const op = e.op === ':' ? ':' : e.op + (e.insensitive ? '~' : '');
        fail(`[${op}] matches strings, but its left side is ${describeTy(t)} [${printExpr(e.expr)}]`, e);
      }
      for (const p of e.patterns) {
        if (p.kind !== 'string') {
          const op = e.op === ':' ? ':' : e.op + (e.insensitive ? '~' : '');
          fail(`the pattern of [${op}] must be a string, found [${printExpr(p)}]`, p, e);
        }
      }
      return;
    }
    case 'arith':
      checkNode(e.left);
      checkNode(e.right);
      for (const side of [e.left, e.right]) {
        const t = typeOf(side);
        if (t === 'string' || t === 'boolean') {
          fail(`arithmetic [${e.op}] needs numbers, found ${describeTy(t)} [${printExpr(side)}]`, side, e);
        }
      }
      return;
    case 'negate': {
      checkNode(e.expr);
      const t = typeOf(e.expr);
      if (t === 'string' || t === 'boolean') fail(`unary [-] needs a number, found ${describeTy(t)}`, e);
      return;
    }
    case 'call':
      e.args.forEach(checkNode);
      checkCall(e);
      return;
  }
}

function checkCondition(f: EventFilter): void {
  requireBoolean(f.condition, 'the condition after [where]');
  checkNode(f.condition);
}

function checkKeys(keys: Expr[]): void {
  for (const k of keys) {
    if (k.type !== 'field') fail(`Unsupported join key [${printExpr(k)}]; join keys must be field names`, k);
  }
}

function checkStages(kind: 'sequence' | 'sample', by: Expr[], stages: Stage[], until: Stage | null, hasMaxspan: boolean): void {
  checkKeys(by);
  const all = until ? [...stages, until] : stages;
  const expected = all[0]?.by.length ?? 0;
  for (const st of all) {
    checkCondition(st.filter);
    checkKeys(st.by);
    if (st.by.length !== expected) {
      fail(
        `Inconsistent number of join keys specified; expected [${expected}] but found [${st.by.length}]`,
        st.by[0] ?? st,
      );
    }
    if (!Number.isInteger(st.runs) || st.runs < 1 || st.runs > 100) {
      failRuns(`A positive runs value between 1 and 100 is required; found [${st.runs}]`, st);
    }
    if (st.missing && kind === 'sample') fail('Missing events [![...]] are not supported in samples', st);
  }
  if (kind === 'sequence') {
    const total = stages.reduce((n, s) => n + s.runs, 0);
    if (total < 2) fail(`A sequence requires a minimum of 2 queries, found [${total}]`, stages[0]);
    if (until?.missing) fail('the [until] stage cannot be a missing event [![...]]', until);
    if (until && until.runs !== 1) failRuns('the [until] stage cannot have [runs]', until);
    const missing = stages.filter((s) => s.missing);
    if (missing.length > 0) {
      if (missing.length === stages.length) fail('A sequence requires at least one positive event query; found none', stages[0]);
      if (!hasMaxspan) fail('A sequence with missing events [![...]] requires [maxspan]', missing[0]);
    }
  }
}

function checkPipe(p: Pipe): void {
  if (p.name === 'head' || p.name === 'tail') {
    if (p.args.length !== 1) fail(`Pipe [${p.name}] expects exactly one argument but found [${p.args.length}]`, p);
    const a = p.args[0] as Expr;
    if (a.type !== 'literal' || a.kind !== 'integer' || (a.value as number) < 0) {
      fail(`Pipe [${p.name}] expects a positive integer but found [${printExpr(a)}]`, a, p);
    }
    return;
  }
  if (p.args.length !== 1) fail(`Pipe [${p.name}] expects exactly one argument but found [${p.args.length}]`, p);
  const cond = p.args[0] as Expr;
  requireBoolean(cond, 'the argument of [filter]');
  checkNode(cond);
}

/** Check one expression used as a value (not necessarily a condition); throws EqlSemanticError. */
export function checkExpr(e: Expr): void {
  withSpans(e, () => checkNode(e));
}

/** Throws EqlSemanticError when Elasticsearch would reject the (syntactically valid) query. */
export function checkQuery(q: Query): void {
  withSpans(q, () => checkQueryNode(q));
}

function checkQueryNode(q: Query): void {
  switch (q.type) {
    case 'event_query':
      checkCondition(q.filter);
      break;
    case 'sequence':
      checkStages('sequence', q.by, q.stages, q.until, q.maxspan !== null);
      break;
    case 'sample':
      checkStages('sample', q.by, q.stages, null, false);
      if (q.stages.length < 2) fail(`A sample requires a minimum of 2 queries, found [${q.stages.length}]`, q);
      break;
  }
  q.pipes.forEach(checkPipe);
}
