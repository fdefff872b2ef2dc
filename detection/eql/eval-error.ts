// Errors raised while compiling or evaluating an EQL query (not syntax errors: those belong to the parser).
// Elasticsearch fails the whole query on these (ArithmeticException, bad pattern), so callers should too.

export type EqlEvalErrorCode =
  | 'HW_ERR_EQL_ARITHMETIC'
  | 'HW_ERR_EQL_BAD_PATTERN'
  | 'HW_ERR_EQL_BAD_ARGUMENT'
  | 'HW_ERR_EQL_UNKNOWN_FUNCTION'
  | 'HW_ERR_EQL_UNSUPPORTED';

export class EqlEvalError extends Error {
  override readonly name = 'EqlEvalError';
  constructor(
    readonly code: EqlEvalErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
