// Generated code for an event filter's "is it TRUE" test. The closure tree of compile.ts shares one function
// body per node kind, so V8 sees every call inside it as megamorphic and inlines nothing; here each leaf of
// the filter becomes its own small function in one generated module, so the engine can inline the field
// reads, literal compares and pattern matchers into a single predicate.
//
// Only the shapes real rules are made of are generated: and/or/not, boolean literals, `field == "string"`
// / `!=`, and `field : / like / regex patterns`. Every other subtree calls the compiler's own closures, so
// the semantics stay in one place (compile.ts); the generated leaves copy its any-value rules exactly and
// the property tests compare the two. Literals and helpers are passed in as arguments, never spliced
// into the source text.
import type { Expr } from './ast.js';

type Fn = (doc: unknown) => unknown;
type Test = (doc: unknown) => boolean;

/** What the generator needs from the compiler. */
export interface CodegenHost {
  /** A reader for a plain field when its comparisons are plain (no date/version typing), else null. */
  plainReader(field: Expr): Fn | null;
  /** The matcher for a `:`/`like`/`regex` node. */
  matcher(e: Extract<Expr, { type: 'match' }>): (s: string) => boolean;
  /** The compiler's own tests for any subtree. */
  truth(e: Expr): { isTrue: Test; isFalse: Test };
}

class Generator {
  readonly externs: unknown[] = [];
  readonly fns: string[] = [];

  constructor(private readonly host: CodegenHost) {}

  ext(value: unknown): string {
    this.externs.push(value);
    return `e${this.externs.length - 1}`;
  }

  /** Declares a leaf function and returns the expression that calls it. */
  leaf(body: string): string {
    const name = `f${this.fns.length}`;
    this.fns.push(`function ${name}(doc) {\n${body}\n}`);
    return `${name}(doc)`;
  }

  /** A JS boolean expression of `doc`: whether `e` is TRUE (`want` true) or FALSE (`want` false). */
  expr(e: Expr, want: boolean): string {
    switch (e.type) {
      case 'and':
      case 'or': {
        const items = flatten(e, e.type).map((x) => this.expr(x, want));
        // and is TRUE when all are; FALSE when any is. or is the dual.
        const joiner = (e.type === 'and') === want ? ' && ' : ' || ';
        return `(${items.join(joiner)})`;
      }
      case 'not':
        return this.expr(e.expr, !want);
      case 'literal':
        if (e.value === true) return want ? 'true' : 'false';
        if (e.value === false) return want ? 'false' : 'true';
        if (e.value === null) return 'false';
        break;
      case 'compare':
        if ((e.op === '==' || e.op === '!=') && e.right.type === 'literal' && typeof e.right.value === 'string') {
          const read = this.host.plainReader(e.left);
          if (read) return this.stringEquals(read, e.right.value, (e.op === '==') === want);
        }
        break;
      case 'match': {
        const read = this.host.plainReader(e.expr);
        if (read) return this.patternMatch(read, this.host.matcher(e), want);
        break;
      }
      default:
        break;
    }
    const t = this.host.truth(e);
    return `${this.ext(want ? t.isTrue : t.isFalse)}(doc)`;
  }

  /** `field == lit` is TRUE (`positive`) or FALSE: any value equal / no value equal but some string value. */
  private stringEquals(read: Fn, lit: string, positive: boolean): string {
    const r = this.ext(read);
    const c = this.ext(lit);
    if (positive) {
      return this.leaf(`  const v = ${r}(doc);\n  if (typeof v === 'string') return v === ${c};\n  return Array.isArray(v) && v.includes(${c});`);
    }
    return this.leaf(
      `  const v = ${r}(doc);\n  if (typeof v === 'string') return v !== ${c};\n  if (!Array.isArray(v) || v.includes(${c})) return false;\n` +
        `  for (let i = 0; i < v.length; i++) if (typeof v[i] === 'string') return true;\n  return false;`,
    );
  }

  /** A pattern match is TRUE when any string value matches; FALSE when there are string values and none does. */
  private patternMatch(read: Fn, m: (s: string) => boolean, want: boolean): string {
    const r = this.ext(read);
    const mm = this.ext(m);
    if (want) {
      return this.leaf(
        `  const v = ${r}(doc);\n  if (typeof v === 'string') return ${mm}(v);\n  if (!Array.isArray(v)) return false;\n` +
          `  for (let i = 0; i < v.length; i++) { const s = v[i]; if (typeof s === 'string' && ${mm}(s)) return true; }\n  return false;`,
      );
    }
    return this.leaf(
      `  const v = ${r}(doc);\n  if (typeof v === 'string') return !${mm}(v);\n  if (!Array.isArray(v)) return false;\n  let saw = false;\n` +
        `  for (let i = 0; i < v.length; i++) { const s = v[i]; if (typeof s === 'string') { if (${mm}(s)) return false; saw = true; } }\n  return saw;`,
    );
  }
}

function flatten(e: Expr, type: 'and' | 'or'): Expr[] {
  return e.type === type ? [...flatten(e.left, type), ...flatten(e.right, type)] : [e];
}

/**
 * A generated predicate: `category` (null for `any`) checked on `readCategory`, then the condition is TRUE.
 */
export function generateFilter(condition: Expr, category: string | null, readCategory: Fn, host: CodegenHost): Test {
  const g = new Generator(host);
  const cond = g.expr(condition, true);
  let main: string;
  if (category === null) main = `return function filter(doc) { return ${cond}; };`;
  else {
    const rc = g.ext(readCategory);
    const cat = g.ext(category);
    main =
      `return function filter(doc) {\n  const c = ${rc}(doc);\n` +
      `  if (c !== ${cat} && !(Array.isArray(c) && c.includes(${cat}))) return false;\n  return ${cond};\n};`;
  }
  // Externals become module-level constants of the generated code (stable call targets for the engine).
  const bind = g.externs.map((_, i) => `const e${i} = x[${i}];`).join('\n');
  const source = `"use strict";\n${bind}\n${g.fns.join('\n')}\n${main}`;
  return new Function('x', source)(g.externs) as Test;
}
