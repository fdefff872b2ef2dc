// Errors of the response stage. Each has a stable code and the HTTP status the API answers with.
export class ResponseError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export const notFound = (what: string) => new ResponseError('HW_ERR_NOT_FOUND', 404, `${what} does not exist; list them with GET /v1/cases/:id/steps`);
export const wrongState = (stepId: string, state: string, wanted: string) =>
  new ResponseError('HW_ERR_STEP_STATE', 409, `step ${stepId} is ${state}; it must be ${wanted} for this`);
export const staleHash = (stepId: string, current: string) =>
  new ResponseError(
    'HW_ERR_STALE_HASH',
    409,
    `the hash does not match step ${stepId} as it stands now (plan or evidence changed); reload the step and approve hash ${current} if it still holds`,
  );
export const roleForbidden = (role: string, needed: string) =>
  new ResponseError('HW_ERR_ROLE_FORBIDDEN', 403, `role ${role} may not do this; it needs ${needed}`);
export const selfApproval = (stepId: string) =>
  new ResponseError('HW_ERR_SELF_APPROVAL', 403, `you requested step ${stepId}; another responder must approve it (four-eyes)`);
export const duplicateApprover = (stepId: string) =>
  new ResponseError('HW_ERR_SECOND_APPROVER', 409, `you already approved step ${stepId}; it needs a second, different approver`);
export const badRequest = (field: string, message: string) => new ResponseError('HW_ERR_BAD_REQUEST', 400, `${field}: ${message}`);
