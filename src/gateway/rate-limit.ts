// Per-source rate limit of the webhook route (@fastify/rate-limit, counted in memory by each
// gateway process, keyed by the address Fastify sees: behind a reverse proxy that is the
// proxy's, unless Fastify's trustProxy is set). GitLab sends every webhook of an instance from
// its few Sidekiq hosts, so a whole exam's pushes, pipeline and job events share one or two
// source addresses: the default is generous and only stops a runaway or hostile sender. GitLab
// counts a 429 as a failed delivery (temporary: it backs off, but does not redeliver, and four
// in a row disable the hook for a while), so raise the limit rather than tighten it.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';

/** Per source address and minute: 100 webhooks a second from GitLab's hosts before any 429. */
export const DEFAULT_WEBHOOK_RATE_LIMIT = 6000;

/** Registers the plugin in the caller's (encapsulated) context and returns the route's hook. */
export async function webhookRateLimit(app: FastifyInstance, perMinute: number): Promise<onRequestAsyncHookHandler> {
  // global: false, so that only routes given this hook are limited (not /healthz, the API).
  await app.register(rateLimit, { global: false });
  const hook = app.rateLimit({
    max: perMinute,
    timeWindow: 60_000,
    // Thrown by the plugin after it set Retry-After; the app's error handler answers it as JSON.
    errorResponseBuilder: (request, context) =>
      Object.assign(new Error(`more than ${context.max} webhook requests a minute from ${request.ip} (GRADEFLOW_WEBHOOK_RATE_LIMIT); retry in ${context.after}`), {
        statusCode: 429,
        code: 'RATE_LIMITED',
      }),
  });
  return hook as unknown as onRequestAsyncHookHandler;
}
