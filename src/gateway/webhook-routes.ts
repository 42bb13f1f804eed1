// POST /webhooks/gitlab: the HTTP edge of the gateway. Cheap checks run before the body is
// read (content type, token known at all), so an unauthenticated sender cannot make us parse
// megabytes. HTTP statuses are chosen here and only here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../metrics/index.ts';
import type { Logger } from '../logging/index.ts';
import { errorCode } from '../errors/index.ts';
import type { WebhookSecrets } from './secrets.ts';
import type { Answer, WebhookIntake } from './intake.ts';
import { kindLabel } from './webhook-payload.ts';

export interface WebhookRouteOptions {
  readonly intake: WebhookIntake;
  readonly secrets: WebhookSecrets;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly bodyLimitBytes: number;
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

  app.post('/webhooks/gitlab', {
    bodyLimit: options.bodyLimitBytes,
    onRequest: async (request, reply) => {
      const contentType = header(request, 'content-type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(contentType)) {
        return reply.code(415).send({ error: 'UNSUPPORTED_MEDIA_TYPE', message: `expected Content-Type application/json, got ${contentType === '' ? 'none' : JSON.stringify(contentType.slice(0, 100))}` });
      }
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
    },
  }, async (request, reply) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return reply.code(400).send({ error: 'INVALID_BODY', message: 'expected a JSON object as the request body' });
    }
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

async function acceptOr503(intake: WebhookIntake, delivery: Delivery, log: Logger): Promise<Answer | { status: 503; body: { error: string; message: string } }> {
  try {
    return await intake.accept(delivery);
  } catch (error) {
    log.error({ err: error }, 'webhook could not be accepted');
    return { status: 503, body: { error: errorCode(error), message: 'the event could not be stored; GitLab may retry the delivery' } };
  }
}
