// A JSON POST about each grade to the course's webhook (a chat or an LMS). The body carries
// `text` (what chat hooks such as Mattermost and Slack display) and the whole GradeSummary;
// X-Gradeflow-Signature lets the receiver check it came from us, X-Gradeflow-Delivery lets it
// drop a repeat. The URL is treated as a secret (chat hooks carry their token in the path):
// errors name only its origin.
import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';
import type { WebhookNotify } from '../../courses/index.ts';
import { AppError } from '../../errors/index.ts';
import { statusDescription } from '../format.ts';
import type { GradeSummary } from '../types.ts';

export const SIGNATURE_HEADER = 'x-gradeflow-signature';
export const DELIVERY_HEADER = 'x-gradeflow-delivery';

export interface WebhookBody {
  readonly type: 'grade';
  readonly text: string;
  readonly grade: GradeSummary;
}

export function webhookBody(grade: GradeSummary): WebhookBody {
  return { type: 'grade', text: `${grade.course} ${grade.assignment} ${grade.student}: ${statusDescription(grade)}`, grade };
}

/** `sha256=<hex HMAC-SHA256 of the exact body bytes>`, as GitHub-style receivers expect. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** One keep-alive pool for every course's hook; idle connections do not keep the process alive. */
const agent = new Agent({ keepAliveTimeout: 30_000 });

export interface PostWebhookOptions {
  /** The whole request, answer included (default 10 000). */
  readonly timeoutMs?: number;
  /** Sent as X-Gradeflow-Delivery: the same for every retry of one notification. */
  readonly deliveryId: string;
}

export async function postWebhook(settings: WebhookNotify, payload: WebhookBody, options: PostWebhookOptions): Promise<string> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    'content-type': 'application/json', 'user-agent': 'gradeflow', [DELIVERY_HEADER]: options.deliveryId,
  };
  if (settings.secret !== null) headers[SIGNATURE_HEADER] = signature(settings.secret, body);
  const where = origin(settings.url);
  let status: number;
  try {
    // undici's request(), as the GitLab transport: a third of fetch's CPU a call, and it never
    // follows a redirect, which would resend the body (and signature) somewhere not configured.
    const answer = await request(settings.url, {
      method: 'POST', headers, body, dispatcher: agent,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    status = answer.statusCode;
    await answer.body.dump();
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'network error';
    throw new AppError('NOTIFY_WEBHOOK_UNAVAILABLE', `webhook at ${where} failed: ${reason}`, { retryable: true });
  }
  if (status >= 200 && status < 300) return `HTTP ${status}`;
  // 408, 429 and 5xx pass; other answers mean the hook is misconfigured and need a person.
  const retryable = status === 408 || status === 429 || status >= 500;
  throw new AppError('NOTIFY_WEBHOOK_REJECTED', `webhook at ${where} answered HTTP ${status}`, {
    retryable, details: { status },
  });
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
