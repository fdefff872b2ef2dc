// Pipes and result limits. `head N` keeps the first N results, `tail N` the last N (still in
// ascending order); pipes apply left to right. `filter` (an endgame pipe the parser accepts) is
// honoured on event queries only. Then the request's `size` keeps the first (`result_position:
// head`) or the last (`tail`, ES's default) `size` results.
import type { Expr, Pipe } from './ast.js';

export class PipeError extends Error {
  readonly code = 'HW_ERR_EQL_PIPE';
  constructor(message: string) {
    super(message);
    this.name = 'PipeError';
  }
}

function count(pipe: Pipe): number {
  const arg: Expr | undefined = pipe.args[0];
  if (pipe.args.length !== 1 || !arg || arg.type !== 'literal' || arg.kind !== 'integer' || typeof arg.value !== 'number' || arg.value < 0) {
    throw new PipeError(`pipe "${pipe.name}" needs one non-negative integer, e.g. "| ${pipe.name} 10"`);
  }
  return arg.value;
}

export function applyPipes<T>(items: T[], pipes: readonly Pipe[], filter?: (item: T, pipe: Pipe) => boolean): T[] {
  let out = items;
  for (const pipe of pipes) {
    if (pipe.name === 'head') out = out.slice(0, count(pipe));
    else if (pipe.name === 'tail') {
      const n = count(pipe);
      out = n === 0 ? [] : out.slice(-n);
    } else if (pipe.name === 'filter') {
      if (!filter) throw new PipeError('pipe "filter" is supported on event queries only; move the condition into the query');
      out = out.filter((x) => filter(x, pipe));
    } else {
      throw new PipeError(`pipe "${(pipe as Pipe).name}" is not supported; use head or tail`);
    }
  }
  return out;
}

export type ResultPosition = 'head' | 'tail';

export function limitResults<T>(items: T[], size: number, position: ResultPosition): T[] {
  if (items.length <= size) return items;
  if (size <= 0) return [];
  return position === 'head' ? items.slice(0, size) : items.slice(-size);
}
