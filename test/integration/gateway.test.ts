// The webhook gateway over real HTTP, producing to the real broker: every answer GitLab can
// get, what lands on the topics, deduplication of redeliveries, and no token in any log line.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { MemoryDedupStore, RedisDedupStore } from '../../src/cache/index.ts';
import type { DedupStore } from '../../src/cache/index.ts';
import { loadCourses } from '../../src/courses/index.ts';
import { createProjectResolver } from '../../src/courses/index.ts';
import { TOPICS, decodeEvent, topicName } from '../../src/events/index.ts';
import { WebhookIntake, webhookRoutes, webhookSecrets } from '../../src/gateway/index.ts';
import { KafkaEventProducer, provisionTopics } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { createHttpApp } from '../../src/web/index.ts';
import { testEnv } from '../support/context.ts';
import type { TestEnv } from '../support/context.ts';
import { gitlabFixture, postWebhook, pushPayload, shaOf, writeTestCourse } from '../support/gitlab.ts';
import { readTopic } from '../support/kafka-read.ts';
import { javaPartitionForKey } from '../support/murmur2.ts';

const GLOBAL_SECRET = 'global-secret-abcdefghijklmnop';
const BODY_LIMIT = 64 * 1024;

interface Gateway {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly logs: () => string;
  readonly metrics: ReturnType<typeof createMetrics>;
}

async function startGateway(env: TestEnv, courseSecret: string, dedup: DedupStore): Promise<Gateway> {
  const course = writeTestCourse(courseSecret);
  const { courses } = await loadCourses({ dir: course.dir, env: { TEST_COURSE_SECRET: courseSecret } });
  let logs = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  const log = createLogger('debug', 'gateway-test', sink);
  const metrics = createMetrics();
  const producer = new KafkaEventProducer(env.connection, 'gateway');
  const secrets = webhookSecrets(new Map(courses.map((c) => [c.slug, c.gitlab.webhookSecret])), GLOBAL_SECRET);
  const intake = new WebhookIntake({ producer, resolver: createProjectResolver(courses), secrets, dedup, log });
  const app = createHttpApp({ log, bodyLimitBytes: BODY_LIMIT });
  await app.register(webhookRoutes, { intake, secrets, metrics, log, bodyLimitBytes: BODY_LIMIT });
  app.addHook('onClose', async () => producer.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, app, logs: () => logs, metrics };
}

describe('gateway', () => {
  const env = testEnv();
  const secret = `course-secret-${randomUUID()}`;
  let gateway: Gateway;
  const push = (student: string, sha = shaOf(randomUUID()), path = `algo-test/hw1/${student}`) => pushPayload({ path, projectId: 1000 + student.length, sha });
  const pushTopic = topicName(env.prefix, TOPICS.gitlabPush.name);

  before(async () => {
    await provisionTopics(env.connection);
    gateway = await startGateway(env, secret, new MemoryDedupStore());
  });
  after(() => gateway.app.close());

  test('a documented push is produced with key course:assignment:student on the murmur2 partition, then answered 202', async () => {
    const sha = shaOf('alice-1');
    const answer = await postWebhook(gateway.url, push('alice', sha), { token: secret, idempotencyKey: randomUUID() });
    assert.equal(answer.status, 202, JSON.stringify(answer.json));
    assert.equal(answer.json.status, 'accepted');
    const records = await readTopic(env.connection.bootstrapBrokers, pushTopic, (r) => r.some((x) => decodeEvent(x.value).id === answer.json.eventId));
    const record = records.find((x) => decodeEvent(x.value).id === answer.json.eventId);
    assert.ok(record);
    assert.equal(record.key, 'algo-test:hw1:alice');
    assert.equal(record.partition, javaPartitionForKey('algo-test:hw1:alice', TOPICS.gitlabPush.partitions));
    const event = decodeEvent(record.value);
    assert.equal(event.type, 'gitlab.push');
    assert.equal(event.type === 'gitlab.push' && event.payload.checkoutSha, sha);
  });

  test('a redelivery (same Idempotency-Key) is answered 200 duplicate with the same event id, and produces nothing', async () => {
    const key = randomUUID();
    const body = push('bob');
    const concurrent = await Promise.all([1, 2, 3].map(() => postWebhook(gateway.url, body, { token: secret, idempotencyKey: key })));
    const later = await postWebhook(gateway.url, body, { token: secret, idempotencyKey: key });
    const statuses = concurrent.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 200, 202]);
    assert.equal(later.status, 200);
    assert.equal(later.json.status, 'duplicate');
    const ids = new Set([...concurrent, later].map((a) => a.json.eventId));
    assert.equal(ids.size, 1);
    const [eventId] = [...ids];
    const marker = await postWebhook(gateway.url, push('bob-marker'), { token: secret, idempotencyKey: randomUUID() });
    const records = await readTopic(env.connection.bootstrapBrokers, pushTopic, (r) => r.some((x) => decodeEvent(x.value).id === marker.json.eventId));
    assert.equal(records.filter((x) => decodeEvent(x.value).id === eventId).length, 1);
  });

  test('without Idempotency-Key, a push is recognised by X-Gitlab-Event-UUID and content', async () => {
    const body = push('carol');
    const uuid = randomUUID();
    const first = await postWebhook(gateway.url, body, { token: secret, eventUuid: uuid });
    const again = await postWebhook(gateway.url, body, { token: secret, eventUuid: uuid });
    assert.equal(first.status, 202);
    assert.deepEqual([again.status, again.json.status, again.json.eventId], [200, 'duplicate', first.json.eventId]);
  });

  test('authentication: missing, wrong and other-course tokens are 401 with a message; the global secret does not open a course with its own', async () => {
    const missing = await postWebhook(gateway.url, push('dave'), { token: null });
    assert.deepEqual([missing.status, missing.json.error], [401, 'MISSING_TOKEN']);
    assert.match(missing.json.message, /X-Gitlab-Token header is missing/);
    const wrong = await postWebhook(gateway.url, push('dave'), { token: 'not-the-secret-at-all' });
    assert.deepEqual([wrong.status, wrong.json.error], [401, 'INVALID_TOKEN']);
    const global = await postWebhook(gateway.url, push('dave'), { token: GLOBAL_SECRET });
    assert.deepEqual([global.status, global.json.error], [401, 'INVALID_TOKEN']);
    assert.match(global.json.message, /course algo-test/);
    const empty = await postWebhook(gateway.url, push('dave'), { token: '' });
    assert.equal(empty.status, 401);
  });

  test('what a person must fix gets its 4xx: not JSON, not an object, too large, wrong content type, no event header', async () => {
    const notJson = await postWebhook(gateway.url, null, { token: secret, rawBody: '{"object_kind": "push",' });
    assert.deepEqual([notJson.status, notJson.json.error], [400, 'INVALID_JSON']);
    assert.match(notJson.json.message, /not valid JSON/);
    const array = await postWebhook(gateway.url, [1, 2, 3], { token: secret });
    assert.deepEqual([array.status, array.json.error], [400, 'INVALID_BODY']);
    const huge = await postWebhook(gateway.url, { ...push('erin'), padding: 'x'.repeat(BODY_LIMIT) }, { token: secret });
    assert.deepEqual([huge.status, huge.json.error], [413, 'BODY_TOO_LARGE']);
    const text = await postWebhook(gateway.url, push('erin'), { token: secret, contentType: 'text/plain' });
    assert.deepEqual([text.status, text.json.error], [415, 'UNSUPPORTED_MEDIA_TYPE']);
    const noType = await postWebhook(gateway.url, push('erin'), { token: secret, contentType: null });
    assert.equal(noType.status, 415);
    const noEvent = await postWebhook(gateway.url, push('erin'), { token: secret, event: null });
    assert.deepEqual([noEvent.status, noEvent.json.error], [400, 'MISSING_EVENT_HEADER']);
  });

  test('pushes Gradeflow does not grade are 200 with a reason: unknown project, unknown assignment, branch deletion, unused kinds', async () => {
    const other = await postWebhook(gateway.url, push('x', undefined, 'mike/diaspora'), { token: GLOBAL_SECRET });
    assert.deepEqual([other.status, other.json.status, other.json.reason], [200, 'ignored', 'no-course']);
    const unknown = await postWebhook(gateway.url, push('x', undefined, 'algo-test/hw9/frank'), { token: secret });
    assert.deepEqual([unknown.status, unknown.json.reason], [200, 'unknown-assignment']);
    const deleted = await postWebhook(gateway.url, { ...push('frank'), after: '0'.repeat(40), checkout_sha: null }, { token: secret });
    assert.deepEqual([deleted.status, deleted.json.reason], [200, 'branch-deleted']);
    const issue = await postWebhook(gateway.url, { object_kind: 'issue' }, { token: secret, event: 'Issue Hook' });
    assert.deepEqual([issue.status, issue.json.reason], [200, 'unsupported-event']);
  });

  test('tag push, merge request, pipeline, job and note hooks are accepted and stored on the events topic', async () => {
    const kinds: Array<[string, string]> = [['Tag Push Hook', 'tag_push.json'], ['Merge Request Hook', 'merge_request.json'], ['Pipeline Hook', 'pipeline.json'], ['Job Hook', 'job.json'], ['Note Hook', 'note_commit.json']];
    const answers = await Promise.all(kinds.map(([event, file]) => postWebhook(gateway.url, gitlabFixture(file), { token: GLOBAL_SECRET, event, idempotencyKey: randomUUID() })));
    answers.forEach((answer, i) => assert.equal(answer.status, 202, `${kinds[i]?.[0]}: ${JSON.stringify(answer.json)}`));
    const ids = new Set(answers.map((a) => a.json.eventId));
    const records = await readTopic(env.connection.bootstrapBrokers, topicName(env.prefix, TOPICS.gitlabEvents.name), (r) => r.filter((x) => ids.has(decodeEvent(x.value).id)).length === ids.size);
    const stored = records.map((x) => decodeEvent(x.value)).filter((e) => ids.has(e.id));
    assert.deepEqual(stored.map((e) => (e.type === 'gitlab.event' ? e.payload.kind : '')).sort(), ['build', 'merge_request', 'note', 'pipeline', 'tag_push']);
  });

  test('metrics count deliveries by kind and status; no log line holds a token', async () => {
    const text = await gateway.metrics.registry.getSingleMetricAsString('gradeflow_webhook_requests_total');
    assert.match(text, /event="push",status="202",outcome="accepted"/);
    assert.match(text, /event="push",status="401",outcome="rejected"/);
    assert.ok(gateway.logs().length > 0, 'the gateway logged something');
    assert.equal(gateway.logs().includes(secret), false);
    assert.equal(gateway.logs().includes(GLOBAL_SECRET), false);
  });
});

describe('gateway deduplication shared through Redis', () => {
  test('a delivery accepted by one gateway is a duplicate at another', async (t) => {
    const env = testEnv();
    await provisionTopics(env.connection);
    const prefix = `gradeflow-test:${randomUUID()}:`;
    const stores = [new RedisDedupStore('redis://127.0.0.1:6379', prefix), new RedisDedupStore('redis://127.0.0.1:6379', prefix)];
    await Promise.all(stores.map((s) => s.connect()));
    const secret = `course-secret-${randomUUID()}`;
    const gateways = await Promise.all(stores.map((store) => startGateway(env, secret, store)));
    t.after(async () => {
      await Promise.all(gateways.map((g) => g.app.close()));
      await Promise.all(stores.map((s) => s.close()));
    });
    const body = pushPayload({ path: 'algo-test/hw2/gina', projectId: 77, sha: shaOf('gina') });
    const key = randomUUID();
    const first = await postWebhook(gateways[0]!.url, body, { token: secret, idempotencyKey: key });
    const second = await postWebhook(gateways[1]!.url, body, { token: secret, idempotencyKey: key });
    assert.equal(first.status, 202);
    assert.deepEqual([second.status, second.json.status, second.json.eventId], [200, 'duplicate', first.json.eventId]);
  });
});
