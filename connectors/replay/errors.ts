// Errors of the replay connector: each names the operation, the bad input and what to do.
export type ReplayErrorCode =
  | 'HW_ERR_REPLAY_DATASET_UNREADABLE'
  | 'HW_ERR_REPLAY_DATASET_INVALID'
  | 'HW_ERR_REPLAY_ACTION_INVALID'
  | 'HW_ERR_REPLAY_ACTION_NOT_FOUND'
  | 'HW_ERR_REPLAY_STATE'
  | 'HW_ERR_REPLAY_QUERY_INVALID';

export class ReplayError extends Error {
  readonly vendor = 'replay';
  constructor(
    readonly code: ReplayErrorCode,
    readonly operation: string,
    message: string,
  ) {
    super(`replay ${operation}: ${message}`);
    this.name = 'ReplayError';
  }
}
