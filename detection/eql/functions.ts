// The EQL function SIGNATURE registry: every function in Elasticsearch's EQL function reference,
// with its arity, whether the `~` (case-insensitive) form exists, and the kind of each argument.
// Evaluation lives elsewhere (the compiler keys its implementations by `name`).
//
// Elasticsearch resolves function names case-insensitively (`cidrmatch`, `endswith~` and `CONCAT`
// all occur in real rules and in ES's own QA suite), so the parser stores the canonical spelling
// from this table in `Call.name`.

/** What an argument must be. `constant`: ES requires a foldable value (no field reference). */
export type ArgKind = 'string' | 'number' | 'integer' | 'boolean' | 'ip' | 'any';

export interface ArgSpec {
  kind: ArgKind;
  constant?: boolean;
}

export interface FunctionSignature {
  /** Canonical spelling, as in ES's function reference. */
  name: string;
  minArgs: number;
  /** Infinity for variadic functions. */
  maxArgs: number;
  /** Whether `name~(...)` is allowed. */
  caseInsensitive: boolean;
  /** Argument specs by position; a variadic function repeats its last spec. */
  args: ArgSpec[];
  /** What it returns, for literal type checks. */
  returns: 'string' | 'number' | 'boolean';
}

const S: ArgSpec = { kind: 'string' };
const N: ArgSpec = { kind: 'number' };

const SIGNATURES: FunctionSignature[] = [
  { name: 'add', minArgs: 2, maxArgs: 2, caseInsensitive: false, args: [N, N], returns: 'number' },
  {
    name: 'between',
    minArgs: 3,
    maxArgs: 4,
    caseInsensitive: true,
    args: [S, S, S, { kind: 'boolean', constant: true }],
    returns: 'string',
  },
  {
    name: 'cidrMatch',
    minArgs: 2,
    maxArgs: Infinity,
    caseInsensitive: false,
    args: [{ kind: 'ip' }, { kind: 'string', constant: true }],
    returns: 'boolean',
  },
  { name: 'concat', minArgs: 1, maxArgs: Infinity, caseInsensitive: false, args: [{ kind: 'any' }], returns: 'string' },
  { name: 'divide', minArgs: 2, maxArgs: 2, caseInsensitive: false, args: [N, N], returns: 'number' },
  { name: 'endsWith', minArgs: 2, maxArgs: 2, caseInsensitive: true, args: [S, S], returns: 'boolean' },
  {
    name: 'indexOf',
    minArgs: 2,
    maxArgs: 3,
    caseInsensitive: true,
    args: [S, S, { kind: 'integer' }],
    returns: 'number',
  },
  { name: 'length', minArgs: 1, maxArgs: 1, caseInsensitive: false, args: [S], returns: 'number' },
  { name: 'modulo', minArgs: 2, maxArgs: 2, caseInsensitive: false, args: [N, N], returns: 'number' },
  { name: 'multiply', minArgs: 2, maxArgs: 2, caseInsensitive: false, args: [N, N], returns: 'number' },
  { name: 'number', minArgs: 1, maxArgs: 2, caseInsensitive: false, args: [S, { kind: 'integer' }], returns: 'number' },
  { name: 'startsWith', minArgs: 2, maxArgs: 2, caseInsensitive: true, args: [S, S], returns: 'boolean' },
  { name: 'string', minArgs: 1, maxArgs: 1, caseInsensitive: false, args: [{ kind: 'any' }], returns: 'string' },
  { name: 'stringContains', minArgs: 2, maxArgs: 2, caseInsensitive: true, args: [S, S], returns: 'boolean' },
  {
    name: 'substring',
    minArgs: 2,
    maxArgs: 3,
    caseInsensitive: false,
    args: [S, { kind: 'integer' }, { kind: 'integer' }],
    returns: 'string',
  },
  { name: 'subtract', minArgs: 2, maxArgs: 2, caseInsensitive: false, args: [N, N], returns: 'number' },
];

const BY_LOWER = new Map<string, FunctionSignature>(SIGNATURES.map((s) => [s.name.toLowerCase(), s]));

/** Every signature, in the order of ES's function reference. */
export const FUNCTIONS: readonly FunctionSignature[] = SIGNATURES;

/** The signature for a function name in any letter case, or undefined for an unknown function. */
export function lookupFunction(name: string): FunctionSignature | undefined {
  return BY_LOWER.get(name.toLowerCase());
}

/** The spec of the argument at `index` (variadic functions repeat their last spec). */
export function argSpec(sig: FunctionSignature, index: number): ArgSpec {
  return sig.args[Math.min(index, sig.args.length - 1)] ?? { kind: 'any' };
}
