// Assembles the HTTP app of a process: webhooks and API where this process serves them,
// health and metrics everywhere.
import type { FastifyInstance } from 'fastify';
import type { Course } from '../courses/index.ts';
import { createProjectResolver } from '../courses/index.ts';
import type { DedupStore } from '../cache/index.ts';
import type { LateDeliveries, Spool } from '../gateway/spool/index.ts';
import { listSubmissions } from '../db/index.ts';
import type { EventProducer } from '../events/index.ts';
import { WebhookIntake, webhookRoutes, webhookSecrets } from '../gateway/index.ts';
import type { ReadinessCheck } from '../web/index.ts';
import { apiRoutes, createHttpApp, gradesRoutes, opsRoutes, reconcileRoutes, regradeRoutes } from '../web/index.ts';
import type { Kit, WorkerDeps } from './services.ts';

export interface HttpParts {
  readonly gateway?: { courses: readonly Course[]; producer: EventProducer; dedup: DedupStore; spool: Spool; lateDeliveries: LateDeliveries };
  /** The staff API: submissions, grades, re-grades. */
  readonly api?: WorkerDeps;
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
}

export function buildHttp(kit: Kit, parts: HttpParts): FastifyInstance {
  const app = createHttpApp({ log: kit.log, bodyLimitBytes: kit.config.http.bodyLimitBytes });
  app.register(opsRoutes, { registry: kit.metrics.registry, checks: parts.checks });
  if (parts.gateway !== undefined) {
    const { courses, producer, dedup, spool, lateDeliveries } = parts.gateway;
    const secrets = webhookSecrets(new Map(courses.map((c) => [c.slug, c.gitlab.webhookSecret])), kit.config.gitlab.webhookSecret);
    const intake = new WebhookIntake({ producer, resolver: createProjectResolver(courses), secrets, dedup, spool, lateDeliveries, log: kit.log });
    app.register(webhookRoutes, { intake, secrets, metrics: kit.metrics, log: kit.log, bodyLimitBytes: kit.config.http.bodyLimitBytes, rateLimitPerMinute: kit.config.http.webhookRateLimitPerMinute });
  }
  const api = parts.api;
  if (api !== undefined) {
    const adminToken = kit.config.admin.token;
    app.register(apiRoutes, { adminToken, listSubmissions: (filter) => listSubmissions(api.db, filter) });
    app.register(gradesRoutes, { adminToken, db: api.db, courses: api.courses, artifacts: api.artifacts });
    app.register(regradeRoutes, { adminToken, deps: { ...api, publisher: api.producer } });
    app.register(reconcileRoutes, { adminToken, courses: api.courses, reconcile: api.reconcile });
  }
  return app;
}

export async function listen(kit: Kit, app: FastifyInstance): Promise<string> {
  const address = await app.listen({ host: kit.config.http.host, port: kit.config.http.port });
  kit.lifecycle.add('http', () => app.close());
  return address;
}
