// A gateway built as `gradeflow gateway` builds it (real producer on the test broker, real
// courses, secrets and intake, /healthz beside the webhook), on a free port, for the
// hostile-input tests.
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { MemoryDedupStore } from '../../src/cache/index.ts';
import { createProjectResolver, loadCourses } from '../../src/courses/index.ts';
import { TOPICS, topicName } from '../../src/events/index.ts';
import { WebhookIntake, webhookRoutes, webhookSecrets } from '../../src/gateway/index.ts';
import { KafkaEventProducer, provisionTopics } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { createHttpApp, opsRoutes } from '../../src/web/index.ts';
import type { TestEnv } from './context.ts';
import { writeTestCourse } from './gitlab.ts';
import { recordCount } from './topic-offsets.ts';

export interface HostileGatewayOptions {
  readonly bodyLimitBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly rateLimitPerMinute?: number;
}

export interface HostileGateway {
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  /** The course's own secret (projects algo-test/{assignment}/{student}). */
  readonly secret: string;
  /** GITLAB_WEBHOOK_SECRET: known, but not the course's. */
  readonly globalSecret: string;
  readonly logs: () => string;
  /** Records on the topics the gateway writes (gitlab.push, gitlab.events). */
  readonly written: () => Promise<number>;
}

export async function startHostileGateway(env: TestEnv, options: HostileGatewayOptions = {}): Promise<HostileGateway> {
  await provisionTopics(env.connection);
  const secret = `course-secret-${randomUUID()}`;
  const globalSecret = `global-secret-${randomUUID()}`;
  const course = writeTestCourse(secret);
  const { courses } = await loadCourses({ dir: course.dir, env: { TEST_COURSE_SECRET: secret } });
  let logs = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  const log = createLogger('trace', 'hostile-gateway', sink);
  const producer = new KafkaEventProducer(env.connection, 'gateway');
  const secrets = webhookSecrets(new Map(courses.map((c) => [c.slug, c.gitlab.webhookSecret])), globalSecret);
  const intake = new WebhookIntake({ producer, resolver: createProjectResolver(courses), secrets, dedup: new MemoryDedupStore(), log });
  const bodyLimitBytes = options.bodyLimitBytes ?? 2 * 1024 * 1024;
  const app = createHttpApp({ log, bodyLimitBytes, ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }) });
  const metrics = createMetrics();
  await app.register(opsRoutes, { registry: metrics.registry, checks: {} });
  await app.register(webhookRoutes, { intake, secrets, metrics, log, bodyLimitBytes, ...(options.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: options.rateLimitPerMinute }) });
  app.addHook('onClose', async () => producer.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const topics = [TOPICS.gitlabPush.name, TOPICS.gitlabEvents.name].map((t) => topicName(env.prefix, t));
  return {
    url, port: Number(new URL(url).port), app, secret, globalSecret, logs: () => logs,
    written: () => recordCount(env.connection.bootstrapBrokers, topics),
  };
}
