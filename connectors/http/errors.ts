// The one error type a connector throws. The playbook reads `code`, `vendor`, `operation` and `hint`;
// the message is safe to log (redacted, no headers, no bodies with secrets).

export type ConnectorErrorCode =
  | 'HW_ERR_CONNECTOR_CONFIG'
  | 'HW_ERR_CONNECTOR_AUTH'
  | 'HW_ERR_CONNECTOR_UNAUTHORIZED'
  | 'HW_ERR_CONNECTOR_FORBIDDEN'
  | 'HW_ERR_CONNECTOR_NOT_FOUND'
  | 'HW_ERR_CONNECTOR_BAD_REQUEST'
  | 'HW_ERR_CONNECTOR_RATE_LIMITED'
  | 'HW_ERR_CONNECTOR_TIMEOUT'
  | 'HW_ERR_CONNECTOR_UNREACHABLE'
  | 'HW_ERR_CONNECTOR_VENDOR_ERROR'
  | 'HW_ERR_CONNECTOR_CIRCUIT_OPEN'
  | 'HW_ERR_CONNECTOR_BAD_RESPONSE'
  | 'HW_ERR_CONNECTOR_CONFLICT';

const DEFAULT_HINTS: Record<ConnectorErrorCode, string> = {
  HW_ERR_CONNECTOR_CONFIG: 'fix the connector configuration named in the message',
  HW_ERR_CONNECTOR_AUTH: 'check the client id/secret or API key and that it has not been revoked',
  HW_ERR_CONNECTOR_UNAUTHORIZED: 'the credentials were refused even after re-authenticating; rotate or re-issue them',
  HW_ERR_CONNECTOR_FORBIDDEN: 'grant the API key or client the privilege/scope this operation needs',
  HW_ERR_CONNECTOR_NOT_FOUND: 'check the id (host, agent, action, alert) exists in this tenant',
  HW_ERR_CONNECTOR_BAD_REQUEST: 'the vendor rejected the request; check the input values named in the message',
  HW_ERR_CONNECTOR_RATE_LIMITED: 'the vendor rate limit held past the maximum wait; retry later or lower concurrency',
  HW_ERR_CONNECTOR_TIMEOUT: 'the vendor did not answer in time; check its health or raise timeoutMs',
  HW_ERR_CONNECTOR_UNREACHABLE: 'check the base URL, DNS, proxy and network path to the vendor',
  HW_ERR_CONNECTOR_VENDOR_ERROR: 'the vendor failed; check its status page and retry later',
  HW_ERR_CONNECTOR_CIRCUIT_OPEN: 'recent calls to this vendor kept failing; wait for the breaker cool-down, then retry',
  HW_ERR_CONNECTOR_BAD_RESPONSE: 'the vendor answered in an unexpected shape; check the API version',
  HW_ERR_CONNECTOR_CONFLICT: 'the vendor reports the action conflicts with one in progress; poll it instead',
};

export interface ConnectorErrorInit {
  code: ConnectorErrorCode;
  vendor: string;
  operation: string;
  detail: string;
  hint?: string;
  status?: number;
  retryable?: boolean;
}

export class ConnectorError extends Error {
  readonly code: ConnectorErrorCode;
  readonly vendor: string;
  readonly operation: string;
  readonly hint: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** What went wrong, without the code, vendor and hint (already redacted). */
  readonly detail: string;

  constructor(init: ConnectorErrorInit) {
    const hint = init.hint ?? DEFAULT_HINTS[init.code];
    super(`${init.code}: ${init.vendor} ${init.operation}: ${init.detail} — ${hint}`);
    this.name = 'ConnectorError';
    this.code = init.code;
    this.vendor = init.vendor;
    this.operation = init.operation;
    this.hint = hint;
    this.status = init.status;
    this.retryable = init.retryable ?? false;
    this.detail = init.detail;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, vendor: this.vendor, operation: this.operation, status: this.status, message: this.message, hint: this.hint };
  }
}

export function isConnectorError(e: unknown): e is ConnectorError {
  return e instanceof ConnectorError;
}
