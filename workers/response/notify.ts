// The approval notification: a Slack-compatible JSON post to the configured URL, signed with HMAC-SHA256
// over `<timestamp>.<body>` (the secret comes from the environment, never from job data), retried by the
// `response` queue with backoff when the receiver does not answer 2xx.
import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import type { notifySchema } from './config.js';
import type { CaseStep } from './step.js';

export type NotifyConfig = z.infer<typeof notifySchema>;

export const SIGNATURE_HEADER = 'x-hivewatch-signature';
export const TIMESTAMP_HEADER = 'x-hivewatch-timestamp';

export class NotifyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function signNotification(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The Slack-compatible message: `text` for any receiver, `blocks` for Slack, plus machine-readable fields. */
export function notificationBody(step: CaseStep, why: string, consoleUrl?: string): Record<string, unknown> {
  const link = consoleUrl ? `${consoleUrl.replace(/\/$/, '')}/#case=${encodeURIComponent(step.caseId)}` : null;
  const what = `${step.action}${step.connectorAction ? ` (${step.connectorAction})` : ' (manual)'} on ${step.target}`;
  const text = `hivewatch: case ${step.caseId} step ${step.stepId} ${what} is ${why}; ${step.approvals.length}/${step.approvalsRequired} approvals${link ? ` — ${link}` : ''}`;
  return {
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
    hivewatch: {
      caseId: step.caseId,
      stepId: step.stepId,
      action: step.action,
      target: step.target,
      state: step.state,
      hash: step.hash,
      approvals: step.approvals.length,
      approvalsRequired: step.approvalsRequired,
      deadline: step.deadline,
      reason: why,
    },
  };
}

/** Posts once; throws on a non-2xx answer or a network error so the job retries. */
export async function postNotification(config: NotifyConfig, body: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env, now = Date.now): Promise<number> {
  const secret = env[config.secretEnv];
  if (!secret) throw new NotifyError('HW_ERR_NOTIFY_SECRET', `set the environment variable ${config.secretEnv} to the notification signing secret`);
  const text = JSON.stringify(body);
  const timestamp = String(Math.floor(now() / 1000));
  let response: Response;
  try {
    response = await fetch(config.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signNotification(secret, timestamp, text) },
      body: text,
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (err) {
    throw new NotifyError('HW_ERR_NOTIFY_UNREACHABLE', `notify.url did not answer (${(err as Error).name}); it will be retried`);
  }
  if (response.status < 200 || response.status > 299) {
    throw new NotifyError('HW_ERR_NOTIFY_REJECTED', `notify.url answered HTTP ${response.status}; it will be retried`);
  }
  return response.status;
}
