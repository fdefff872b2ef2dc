// Robustness: whatever the input, parseQuery returns a Query or throws an EqlError with a sane
// position; it never throws anything else (TypeError, RangeError...) and never hangs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EqlError } from '../../detection/eql/errors.js';
import { parseQuery } from '../../detection/eql/parser.js';
import { printQuery } from '../../detection/eql/printer.js';

const shared = path.resolve(import.meta.dirname, '../../../shared');
const corpus = readFileSync(path.join(shared, 'corpus/elastic-eql-rules.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { query: string }).query)
  .filter((q) => q.length < 2000);

/** Parses; on failure checks the error is an EqlError pointing inside (or just past) the input. */
function parsesOrFailsCleanly(src: string): void {
  try {
    const q = parseQuery(src);
    // Whatever parsed must print back to something that parses to the same AST.
    expect(parseQuery(printQuery(q))).toEqual(q);
  } catch (err) {
    if (!(err instanceof EqlError)) throw err;
    const lines = src.split('\n');
    expect(err.line).toBeGreaterThanOrEqual(1);
    expect(err.line).toBeLessThanOrEqual(lines.length);
    expect(err.column).toBeGreaterThanOrEqual(1);
    expect(err.column).toBeLessThanOrEqual((lines[err.line - 1] ?? '').length + 1);
    expect(err.message.startsWith(`line ${err.line}:${err.column}: `)).toBe(true);
  }
}

const alphabet = [
  ...'abcxyz_@`"\'()[]![]|,.:=<>!+-*/%~? \n\t\\01239eE',
  'and ',
  'or ',
  'not ',
  'in ',
  'in~ ',
  'like ',
  'regex~ ',
  'where ',
  'sequence ',
  'sample ',
  'by ',
  'with ',
  'maxspan=',
  'runs=',
  'until ',
  'any ',
  'process ',
  'null ',
  'true ',
  '"""',
  '/*',
  '*/',
  '//',
  '\\u{',
  '}',
];

describe('fuzzing the parser', () => {
  it('handles random token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }), (parts) => parsesOrFailsCleanly(parts.join(''))),
      { numRuns: 3000 },
    );
  });

  it('handles arbitrary unicode strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), parsesOrFailsCleanly), { numRuns: 2000 });
  });

  it('handles real rule queries with a piece cut out or pasted in', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus),
        fc.nat(),
        fc.nat({ max: 12 }),
        fc.constantFrom('', ')', '(', '"', '[', ']', ' and ', ' not ', '`', '/*', '\\'),
        (query, at, cut, paste) => {
          const i = at % (query.length + 1);
          parsesOrFailsCleanly(query.slice(0, i) + paste + query.slice(i + cut));
        },
      ),
      { numRuns: 1500 },
    );
  });
});
