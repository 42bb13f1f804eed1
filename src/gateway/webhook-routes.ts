// POST /webhooks/gitlab: the HTTP edge of the gateway. Cheap checks run before the body is
// read (content type, token known at all), so an unauthenticated sender cannot make us parse
// megabytes. HTTP statuses are chosen here and only here. Requests are rate-limited per source
// address first, and what GitLab never sends is refused with a named 4xx (request-guards.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics/index.ts';
import type { Logger } from '../logging/index.ts';
import { errorCode, isRetryable } from '../errors/index.ts';
import type { WebhookSecrets } from './secrets.ts';
import type { Answer, WebhookIntake } from './intake.ts';
import { kindLabel } from './webhook-payload.ts';
import { bodyProblem, headerProblem, parseJsonBody } from './request-guards.ts';
import { DEFAULT_WEBHOOK_RATE_LIMIT, webhookRateLimit } from './rate-limit.ts';

export interface WebhookRouteOptions {
  readonly intake: WebhookIntake;
  readonly secrets: WebhookSecrets;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly bodyLimitBytes: number;
  /** Webhooks per source address and minute (GRADEFLOW_WEBHOOK_RATE_LIMIT); see rate-limit.ts. */
  readonly rateLimitPerMinute?: number;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

export async function webhookRoutes(app: FastifyInstance, options: WebhookRouteOptions): Promise<void> {
  const { intake, secrets, metrics } = options;
  const count = (request: FastifyRequest, status: number, outcome: string) =>
    metrics.webhookRequests.inc({ event: kindLabel(header(request, 'x-gitlab-event')), status: String(status), outcome });

  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 400) count(request, reply.statusCode, 'rejected');
  });
  const rateLimited = await webhookRateLimit(app, options.rateLimitPerMinute ?? DEFAULT_WEBHOOK_RATE_LIMIT);
  // Our parser (this plugin only): rejects non-UTF-8 and says where the JSON breaks.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, async (_request: FastifyRequest, body: Buffer | string) => parseJsonBody(Buffer.from(body)));

  app.post('/webhooks/gitlab', {
    bodyLimit: options.bodyLimitBytes,
    onRequest: [rateLimited, async (request, reply) => {
      const contentType = header(request, 'content-type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(contentType)) {
        return reply.code(415).send({ error: 'UNSUPPORTED_MEDIA_TYPE', message: `expected Content-Type application/json, got ${contentType === '' ? 'none' : JSON.stringify(contentType.slice(0, 100))}` });
      }
      const refused = headerProblem(request.raw.rawHeaders);
      if (refused !== null) return reply.code(refused.status).send({ error: refused.error, message: refused.message });
      const token = header(request, 'x-gitlab-token');
      if (token === undefined) {
        return reply.code(401).send({ error: 'MISSING_TOKEN', message: 'X-Gitlab-Token header is missing: set the secret token of this webhook in GitLab' });
      }
      if (!secrets.isKnown(token)) {
        return reply.code(401).send({ error: 'INVALID_TOKEN', message: 'X-Gitlab-Token matches no configured webhook secret' });
      }
      if (header(request, 'x-gitlab-event') === undefined) {
        return reply.code(400).send({ error: 'MISSING_EVENT_HEADER', message: 'X-Gitlab-Event header is missing: is this request from GitLab?' });
      }
    }],
  }, async (request, reply) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return reply.code(400).send({ error: 'INVALID_BODY', message: 'expected a JSON object as the request body' });
    }
    const refused = bodyProblem(body as Record<string, unknown>);
    if (refused !== null) return reply.code(refused.status).send({ error: refused.error, message: refused.message });
    const answer = await acceptOr503(intake, {
      eventHeader: header(request, 'x-gitlab-event') ?? '',
      token: header(request, 'x-gitlab-token') ?? '',
      idempotencyKey: header(request, 'idempotency-key'),
      eventUuid: header(request, 'x-gitlab-event-uuid'),
      body: body as Record<string, unknown>,
    }, request.log as unknown as Logger);
    if (answer.status < 400) count(request, answer.status, 'status' in answer.body ? answer.body.status : 'error');
    if (answer.status === 200 && answer.body.status === 'ignored') request.log.info({ reason: answer.body.reason }, 'webhook acknowledged and ignored');
    return reply.code(answer.status).send(answer.body);
  });
}

type Delivery = Parameters<WebhookIntake['accept']>[0];

type Refused = { status: 400 | 413 | 503; body: { error: string; message: string } };

/**
 * Errors that fail on every retry: 503 would make GitLab retry them for nothing. An event the
 * catalogue refuses (EVENT_INVALID: a field too long for its schema) is a 400 naming the field;
 * a record the broker will never take (a permanent *_TOO_LARGE) is a 413. Other permanent
 * errors are ours, not the sender's, and stay 503.
 */
function permanentRefusal(error: unknown): Refused | null {
  if (isRetryable(error)) return null;
  const code = errorCode(error);
  const message = (error as Error).message;
  if (code.endsWith('_TOO_LARGE')) return { status: 413, body: { error: code, message: `${message}; the event is larger than Kafka takes (GRADEFLOW_WEBHOOK_BODY_LIMIT)` } };
  return code.startsWith('EVENT_') ? { status: 400, body: { error: code, message } } : null;
}

async function acceptOr503(intake: WebhookIntake, delivery: Delivery, log: Logger): Promise<Answer | Refused> {
  try {
    return await intake.accept(delivery);
  } catch (error) {
    const refused = permanentRefusal(error);
    if (refused !== null) {
      log.warn({ err: error }, 'webhook refused: the event cannot be stored as it is');
      return refused;
    }
    log.error({ err: error }, 'webhook could not be accepted');
    const code = errorCode(error);
    // A full spool is the one refusal the operator can act on (Kafka away for long): say so.
    const message = code === 'SPOOL_FULL' ? `${(error as Error).message}; GitLab may retry the delivery` : 'the event could not be stored; GitLab may retry the delivery';
    return { status: 503, body: { error: code, message } };
  }
}
