// "Nothing lost": the gateway over real HTTP with a real producer pointed at a broker of its own
// (started here, so it can be killed without disturbing other tests). While that broker is down,
// webhooks are answered 202 from the durable spool; once it is back every event arrives, in
// order per key, under its own id; a gateway restart with a non-empty spool loses nothing; a
// full spool is the one case answered 503.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { MemoryDedupStore } from '../../src/cache/index.ts';
import { createProjectResolver, loadCourses } from '../../src/courses/index.ts';
import { TOPICS, decodeEvent, topicName } from '../../src/events/index.ts';
import { WebhookIntake, webhookRoutes, webhookSecrets } from '../../src/gateway/index.ts';
import { openSpool, startForwarder } from '../../src/gateway/spool/index.ts';
import type { Forwarder, Spool } from '../../src/gateway/spool/index.ts';
import { KafkaEventProducer, provisionTopics } from '../../src/kafka/index.ts';
import type { KafkaConnection } from '../../src/kafka/index.ts';
import { startLocalKafka } from '../../src/kafka/local/index.ts';
import type { LocalKafka } from '../../src/kafka/local/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { createHttpApp } from '../../src/web/index.ts';
import { testEnv } from '../support/context.ts';
import { postWebhook, pushPayload, shaOf, writeTestCourse } from '../support/gitlab.ts';
import { readTopic } from '../support/kafka-read.ts';
import { waitFor } from '../support/wait.ts';

const SECRET = `course-secret-${randomUUID()}`;
const PRODUCE_TIMEOUT_MS = 1_000;

interface Gateway {
  readonly url: string;
  readonly spool: Spool;
  readonly forwarder: Forwarder;
  readonly metrics: ReturnType<typeof createMetrics>;
  close(): Promise<void>;
}

/** What the gateway composition builds, with the spool and its forwarder added. */
async function startGateway(connection: KafkaConnection, spoolDir: string, maxBytes = 16 * 2 ** 20): Promise<Gateway> {
  const course = writeTestCourse(SECRET);
  const { courses } = await loadCourses({ dir: course.dir, env: { TEST_COURSE_SECRET: SECRET } });
  const log = createLogger('warn', 'spool-test');
  const metrics = createMetrics();
  const producer = new KafkaEventProducer(connection, 'gateway');
  const spool = await openSpool({ dir: spoolDir, maxBytes, log, metrics });
  const forwarder = startForwarder(spool, producer, { log, initialDelayMs: 100, maxDelayMs: 1_000 });
  const secrets = webhookSecrets(new Map(courses.map((c) => [c.slug, c.gitlab.webhookSecret])), null);
  const intake = new WebhookIntake({ producer, resolver: createProjectResolver(courses), secrets, dedup: new MemoryDedupStore(), log, spool, produceTimeoutMs: PRODUCE_TIMEOUT_MS });
  const app: FastifyInstance = createHttpApp({ log, bodyLimitBytes: 1 << 20 });
  await app.register(webhookRoutes, { intake, secrets, metrics, log, bodyLimitBytes: 1 << 20 });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  let closed: Promise<void> | undefined;
  const close = async () => {
    await app.close();
    await forwarder.stop();
    await spool.close();
    await producer.close();
  };
  return { url, spool, forwarder, metrics, close: () => (closed ??= close()) };
}

const metric = async (gateway: Gateway, name: string): Promise<number> => {
  const text = await gateway.metrics.registry.getSingleMetricAsString(name);
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
};

describe('gateway spool against a broker that goes down', () => {
  let kafka: LocalKafka;
  let kafkaDir: string;
  let connection: KafkaConnection;
  let pushTopic: string;
  const workDirs: string[] = [];

  before(async () => {
    kafkaDir = await mkdtemp(path.join(tmpdir(), 'gradeflow-spool-kafka-'));
    kafka = await startLocalKafka({ dataDir: kafkaDir, heapMb: 256 });
    const env = testEnv();
    connection = { ...env.connection, bootstrapBrokers: kafka.bootstrapBrokers };
    pushTopic = topicName(env.prefix, TOPICS.gitlabPush.name);
    await provisionTopics(connection);
  });

  after(async () => {
    await kafka?.stop();
    await Promise.all([kafkaDir, ...workDirs].map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const spoolDir = async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gradeflow-spool-it-'));
    workDirs.push(dir);
    return dir;
  };

  const post = async (gateway: Gateway, student: string, n: number) => {
    const started = performance.now();
    const answer = await postWebhook(gateway.url, pushPayload({ path: `algo-test/hw1/${student}`, projectId: 500 + student.length, sha: shaOf(`${student}-${n}-${randomUUID()}`) }), { token: SECRET, idempotencyKey: randomUUID() });
    return { ...answer, key: `algo-test:hw1:${student}`, ms: performance.now() - started };
  };

  /** Every id once (`mayRepeat`: a produce that timed out and may have landed too), in order per key. */
  async function assertArrived(answers: ReadonlyArray<{ key: string; json: { eventId: string } }>, mayRepeat: ReadonlySet<string> = new Set()) {
    const ids = new Set(answers.map((a) => a.json.eventId));
    const records = await readTopic(connection.bootstrapBrokers, pushTopic, (r) => [...ids].every((id) => r.some((x) => decodeEvent(x.value).id === id)), 60_000);
    const mine = records.filter((x) => ids.has(decodeEvent(x.value).id));
    for (const id of ids) {
      const copies = mine.filter((x) => decodeEvent(x.value).id === id).length;
      assert.ok(copies === 1 || (mayRepeat.has(id) && copies === 2), `event ${id} arrived ${copies} times`);
    }
    for (const key of new Set(answers.map((a) => a.key))) {
      const arrived = mine.filter((x) => x.key === key).sort((a, b) => Number(a.offset - b.offset)).map((x) => decodeEvent(x.value).id);
      const firstArrivals = arrived.filter((id, i) => arrived.indexOf(id) === i);
      assert.deepEqual(firstArrivals, answers.filter((a) => a.key === key).map((a) => a.json.eventId), `order of ${key}`);
    }
  }

  test('while the broker is down, webhooks are answered 202 from the spool, and arrive once it is back, once per id, in order per key', async (t) => {
    const gateway = await startGateway(connection, await spoolDir());
    t.after(() => gateway.close());
    t.after(() => kafka.startNode(1)); // the broker is up for the next test even if this one fails
    const warm = await post(gateway, 'ada', 0);
    assert.deepEqual([warm.status, warm.json.spooled], [202, undefined], 'with Kafka up the event is produced, not spooled');
    await kafka.killNode(1);
    const answers = [];
    for (let n = 1; n <= 4; n += 1) for (const student of ['ada', 'bo', 'cyd']) answers.push(await post(gateway, student, n));
    for (const answer of answers) assert.deepEqual([answer.status, answer.json.status, answer.json.spooled], [202, 'accepted', true], JSON.stringify(answer.json));
    assert.ok((answers[0]?.ms ?? Infinity) < PRODUCE_TIMEOUT_MS + 3_000, `first answer took ${answers[0]?.ms} ms`);
    const later = answers.slice(1).map((a) => a.ms);
    assert.ok(later.every((ms) => ms < PRODUCE_TIMEOUT_MS), `behind a non-empty spool nobody waits for Kafka: ${later.map(Math.round)} ms`);
    assert.equal(await metric(gateway, 'gradeflow_spool_depth'), 12);
    assert.ok((await metric(gateway, 'gradeflow_spool_bytes')) > 0);
    await kafka.startNode(1);
    await waitFor('the spool to drain', () => gateway.spool.depth === 0, { timeoutMs: 90_000 });
    await assertArrived([warm, ...answers], new Set([answers[0]?.json.eventId]));
    assert.equal(await metric(gateway, 'gradeflow_spool_forwarded_total'), 12);
    assert.equal(await metric(gateway, 'gradeflow_spool_depth'), 0);
  });

  test('a gateway restarted with a non-empty spool forwards it first and loses nothing', async (t) => {
    const dir = await spoolDir();
    const first = await startGateway(connection, dir);
    t.after(() => first.close());
    t.after(() => kafka.startNode(1)); // the broker is up for the next test even if this one fails
    await post(first, 'dee', 0);
    await kafka.killNode(1);
    const before = [];
    for (let n = 1; n <= 5; n += 1) before.push(await post(first, n % 2 === 0 ? 'dee' : 'eli', n));
    assert.ok(before.every((a) => a.status === 202 && a.json.spooled === true), JSON.stringify(before.map((a) => a.json)));
    await first.close();
    const second = await startGateway(connection, dir);
    t.after(() => second.close());
    assert.equal(second.spool.depth, 5, 'the reopened spool holds every event');
    const behind = await post(second, 'dee', 6);
    assert.deepEqual([behind.status, behind.json.spooled], [202, true]);
    assert.ok(behind.ms < PRODUCE_TIMEOUT_MS, 'queued behind the older events without waiting for Kafka');
    await kafka.startNode(1);
    await waitFor('the spool to drain', () => second.spool.depth === 0, { timeoutMs: 90_000 });
    await assertArrived([...before, behind], new Set([before[0]?.json.eventId]));
  });

  test('a full spool is the one case answered 503 SPOOL_FULL; what it accepted still arrives', async (t) => {
    const maxBytes = 12 * 1024;
    const gateway = await startGateway(connection, await spoolDir(), maxBytes);
    t.after(() => gateway.close());
    t.after(() => kafka.startNode(1)); // the broker is up for the next test even if this one fails
    await post(gateway, 'fay', 0);
    await kafka.killNode(1);
    const accepted = [];
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    for (let n = 1; n <= 40 && refused === undefined; n += 1) {
      const answer = await post(gateway, 'fay', n);
      if (answer.status === 202) accepted.push(answer);
      else refused = answer;
    }
    assert.ok(accepted.length >= 2, `${accepted.length} accepted before the spool was full`);
    assert.equal(refused?.status, 503);
    assert.equal(refused?.json.error, 'SPOOL_FULL');
    assert.match(refused?.json.message, /spool is full/);
    assert.ok(gateway.spool.bytes <= maxBytes);
    await kafka.startNode(1);
    await waitFor('the spool to drain', () => gateway.spool.depth === 0, { timeoutMs: 90_000 });
    await assertArrived(accepted, new Set([accepted[0]?.json.eventId]));
    const again = await post(gateway, 'fay', 99);
    assert.deepEqual([again.status, again.json.spooled], [202, undefined], 'room again, and Kafka takes events directly');
  });
});
