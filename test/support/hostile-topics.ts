// A bench for hostile records on the topics: a real PostgreSQL database, the test broker under a
// fresh prefix, a raw producer (bytes, not events: it writes what EventProducer never would),
// and the seed's consumer groups run as KafkaConsumerGroup with their real handlers from
// GROUPS, dead letters going to `<prefix>dead-letter`. An observer records each record's
// outcome per topic, so a test can wait for "handled" and check the order of outcomes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Producer, stringSerializers } from '@platformatic/kafka';
import type { Course } from '../../src/courses/index.ts';
import { migrate, openDatabase } from '../../src/db/index.ts';
import type { Database } from '../../src/db/index.ts';
import { ALL_TOPICS, TOPICS, topicName } from '../../src/events/index.ts';
import type { AnyEnvelope, LogicalTopic } from '../../src/events/index.ts';
import { KafkaConsumerGroup, KafkaEventProducer, kafkaDeadLetterSink, provisionTopics } from '../../src/kafka/index.ts';
import type { ConsumerObserver } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { GROUPS } from '../../src/pipeline/index.ts';
import type { GroupContext, GroupName } from '../../src/pipeline/index.ts';
import { FsArtifactStore } from '../../src/storage/index.ts';
import { testEnv } from './context.ts';
import type { TestEnv } from './context.ts';
import type { ReadRecord } from './kafka-read.ts';
import { createTestDatabase } from './postgres.ts';
import { readAll } from './topic-offsets.ts';
import { waitFor } from './wait.ts';

/** Carried by every record a test produces; dead letters keep the original headers. */
export const CASE_HEADER = 'hostile-case';

/** One course, `algo`, whose `hw1` has no check: a valid push is recorded, nothing runs. */
export const COURSE: Course = {
  slug: 'algo', title: 'Algorithms', file: 'algo.yaml', gitlab: { projectPath: 'algo/{assignment}/{student}', webhookSecret: null },
  notify: { email: null, webhook: null },
  assignments: [{
    slug: 'hw1', title: 'Sorting', opens: null, deadline: new Date('2099-12-01T00:00:00Z'), exam: false, branch: null, counts: 'best',
    late: { penaltyPercentPerDay: 10, cutoff: new Date('2099-12-05T00:00:00Z') }, attempts: { perHour: null, max: null },
    check: null, scoring: { maxScore: 10, weights: {}, default: 1 },
  }],
};

export interface SentRecord {
  readonly caseId: string;
  readonly value: Buffer | string | null;
  readonly key?: string;
}

export interface TopicBench {
  readonly env: TestEnv;
  readonly db: Database;
  /** Produces the records to partition 0 of the topic, one request each, in order. */
  send(topic: LogicalTopic, records: readonly SentRecord[]): Promise<void>;
  /** Starts one member of the group with its real handler. */
  start(group: GroupName): Promise<void>;
  /** Outcomes (ok, retried, dead-lettered) of the records handled so far on a topic, in order. */
  outcomes(topic: LogicalTopic): readonly string[];
  waitForOutcomes(topic: LogicalTopic, count: number): Promise<readonly string[]>;
  /** Dead letters written by the group, by case id. */
  deadLetters(group: GroupName): Promise<Map<string, ReadRecord>>;
  close(): Promise<void>;
}

interface Resources {
  readonly env: TestEnv;
  readonly dir: string;
  readonly db: Database;
  readonly producer: KafkaEventProducer;
  readonly raw: Producer<string, Buffer, string, string>;
  readonly cleanups: Array<() => Promise<unknown>>;
}

async function openResources(): Promise<Resources> {
  const env = testEnv();
  const cleanups: Array<() => Promise<unknown>> = [];
  const dir = await mkdtemp(path.join(tmpdir(), 'gradeflow-hostile-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const db = await openDatabase({ url: database.url, dataDir: dir });
  cleanups.push(() => db.close());
  await migrate(db);
  // As `gradeflow start` provisions: the groups' retry topics too.
  await provisionTopics(env.connection, ALL_TOPICS, { groups: Object.keys(GROUPS) });
  const producer = new KafkaEventProducer(env.connection, 'hostile-bench');
  cleanups.push(() => producer.close());
  const raw = new Producer<string, Buffer, string, string>({
    clientId: 'hostile-raw', bootstrapBrokers: [...env.connection.bootstrapBrokers],
    serializers: { key: stringSerializers.key, headerKey: stringSerializers.headerKey, headerValue: stringSerializers.headerValue },
  });
  cleanups.push(() => raw.close());
  return { env, dir, db, producer, raw, cleanups };
}

/** Outcomes per logical topic, in the order the group reported them. */
function outcomeRecorder(): { observer: ConsumerObserver; seen: Map<string, string[]> } {
  const seen = new Map<string, string[]>();
  const observer: ConsumerObserver = {
    processed: (_group, topic, outcome) => seen.set(topic, [...(seen.get(topic) ?? []), outcome]),
    deadLettered: () => {},
    lag: () => {},
  };
  return { observer, seen };
}

async function sendRecords(r: Resources, topic: LogicalTopic, records: readonly SentRecord[]): Promise<void> {
  // One request per record: a batch of several large records would exceed the broker's limit.
  for (const record of records) {
    const value = record.value === null ? undefined : Buffer.isBuffer(record.value) ? record.value : Buffer.from(record.value, 'utf8');
    await r.raw.send({ messages: [{ topic: topicName(r.env.prefix, topic), partition: 0, key: record.key ?? 'algo:hw1:hostile', value, headers: { [CASE_HEADER]: record.caseId } }] });
  }
}

export async function openTopicBench(): Promise<TopicBench> {
  const r = await openResources();
  const { env, db, producer, cleanups } = r;
  const { observer, seen } = outcomeRecorder();
  const log = createLogger('silent');
  const context: GroupContext = {
    db, publisher: producer, metrics: createMetrics(), courses: new Map([[COURSE.slug, COURSE]]), gitlab: null,
    artifacts: new FsArtifactStore(path.join(r.dir, 'artifacts')), config: env.config, log,
  };
  return {
    env, db,
    send: (topic, records) => sendRecords(r, topic, records),
    start: async (group) => {
      // As services.ts builds a member, minus static membership.
      const consumer = new KafkaConsumerGroup(env.connection, { group, topics: GROUPS[group].topics, log, deadLetters: kafkaDeadLetterSink(producer, env.prefix), sender: producer, observer });
      cleanups.push(() => consumer.close());
      await consumer.consume(GROUPS[group].handler(context));
    },
    outcomes: (topic) => seen.get(topic) ?? [],
    waitForOutcomes: (topic, count) => waitFor(`${count} records handled on ${topic}`, () => ((seen.get(topic)?.length ?? 0) >= count ? seen.get(topic) : null), { timeoutMs: 60_000 }),
    deadLetters: async (group) => {
      const records = await readAll(env.connection.bootstrapBrokers, topicName(env.prefix, TOPICS.deadLetter.name));
      return new Map(records.filter((x) => x.headers.get('dlq-group') === group).map((x) => [x.headers.get(CASE_HEADER) ?? '', x]));
    },
    close: async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    },
  };
}

export interface TopicPlan {
  readonly topic: LogicalTopic;
  /** A valid event of the topic: mutated by the cases, then sent last as is. */
  readonly valid: AnyEnvelope;
  readonly cases: ReadonlyArray<{ readonly id: string; readonly value: (valid: AnyEnvelope) => Buffer | string | null; readonly code: string }>;
}

export const VALID_CASE = 'valid record after the hostile ones';

/**
 * Sends every case of every topic, then the valid event, to partition 0 (so they are handled
 * in that order), starts the group, and waits until it has handled all of them. Returns the
 * group's dead letters by case id.
 */
export async function exerciseGroup(bench: TopicBench, group: GroupName, plans: readonly TopicPlan[]): Promise<Map<string, ReadRecord>> {
  for (const plan of plans) {
    // One record key for all: records of a key are handled in order whatever the concurrency.
    const records = plan.cases.map((c) => ({ caseId: `${plan.topic}: ${c.id}`, value: c.value(plan.valid), key: plan.valid.key }));
    await bench.send(plan.topic, [...records, { caseId: `${plan.topic}: ${VALID_CASE}`, value: JSON.stringify(plan.valid), key: plan.valid.key }]);
  }
  await bench.start(group);
  for (const plan of plans) await bench.waitForOutcomes(plan.topic, plan.cases.length + 1);
  return bench.deadLetters(group);
}

/** Each case of the plan is in the dead letters with its code and origin; the valid record is not, and was handled last. */
export function assertDeadLettered(bench: TopicBench, letters: Map<string, ReadRecord>, plan: TopicPlan): void {
  const prefixed = topicName(bench.env.prefix, plan.topic);
  assert.deepEqual(bench.outcomes(plan.topic), [...plan.cases.map(() => 'dead-lettered'), 'ok'], `${plan.topic}: every hostile record dead-lettered, then the valid one handled`);
  for (const hostile of plan.cases) {
    const letter = letters.get(`${plan.topic}: ${hostile.id}`);
    assert.ok(letter, `${plan.topic}: ${hostile.id}: no dead letter`);
    assert.equal(letter.headers.get('dlq-error-code'), hostile.code, `${plan.topic}: ${hostile.id}: ${letter.headers.get('dlq-error-message')}`);
    assert.equal(letter.headers.get('dlq-original-topic'), prefixed);
    assert.equal(letter.headers.get('dlq-original-partition'), '0');
    assert.match(letter.headers.get('dlq-original-offset') ?? '', /^\d+$/);
    assert.ok((letter.headers.get('dlq-error-message') ?? '').length > 0, 'the reason is spelled out');
  }
  assert.equal(letters.has(`${plan.topic}: ${VALID_CASE}`), false, `${plan.topic}: the valid record is not dead-lettered`);
}
