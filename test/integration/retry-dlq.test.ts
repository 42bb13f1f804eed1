// Retries, dead letters, shutdown and rebalances of KafkaConsumerGroup against the real broker.
// Waits are on conditions (waitFor), never on the clock; backoffs are small through the policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { TOPICS, stableId, topicName } from '../../src/events/index.ts';
import { AppError } from '../../src/errors/index.ts';
import { KafkaConsumerGroup, KafkaEventProducer, baseClientOptions, kafkaDeadLetterSink, provisionTopics } from '../../src/kafka/index.ts';
import type { ConsumerGroupOptions, KafkaConnection, MessageHandler } from '../../src/kafka/index.ts';
import { DLQ_HEADER } from '../../src/kafka/dead-letter.ts';
import { RETRY_HEADER } from '../../src/kafka/retry-topics.ts';
import { createLogger } from '../../src/logging/index.ts';
import { readTopic } from '../support/kafka-read.ts';
import { testEnv } from '../support/context.ts';
import { javaPartitionForKey } from '../support/murmur2.ts';
import { waitFor } from '../support/wait.ts';

const TOPIC = TOPICS.pipelineStatus;
const log = createLogger('silent');

function status(student: string) {
  return { submissionId: stableId(student), course: 'algo', assignment: 'hw1', student, commitSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', state: 'queued' as const, reason: null };
}

/** `count` keys that all land on one partition of the status topic. */
function keysOnOnePartition(count: number, partition = 3): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i += 1) if (javaPartitionForKey(`algo:hw1:s${i}`, TOPIC.partitions) === partition) keys.push(`algo:hw1:s${i}`);
  return keys;
}

async function setup(t: TestContext) {
  const env = testEnv();
  await provisionTopics(env.connection);
  const producer = new KafkaEventProducer(env.connection, 'test');
  t.after(() => producer.close());
  const produce = async (key: string) => (await producer.producePipelineStatus({ key, payload: status(key.split(':')[2] ?? key) })).offset;
  const start = async (handler: MessageHandler, options: Partial<ConsumerGroupOptions> = {}) => {
    const group = new KafkaConsumerGroup(env.connection, {
      group: 'g', topics: [TOPIC.name], log, deadLetters: kafkaDeadLetterSink(producer, env.prefix), sender: producer,
      retry: { inPlaceTries: 1, inPlaceDelayMs: 10, initialBackoffMs: 50, maxBackoffMs: 100 }, ...options,
    });
    t.after(() => group.close());
    await group.consume(handler);
    return group;
  };
  const deadLetters = (count: number) => readTopic(env.connection.bootstrapBrokers, topicName(env.prefix, TOPICS.deadLetter.name), (r) => r.length >= count);
  return { env, producer, produce, start, deadLetters };
}

async function committed(connection: KafkaConnection, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = new Admin(baseClientOptions(connection, 'test-admin'));
  try {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
    const partitions = group?.topics.find((entry) => entry.name === topic)?.partitions ?? [];
    return new Map(partitions.map((p) => [p.partitionIndex, p.committedOffset]));
  } finally {
    await admin.close();
  }
}

test('a transient failure goes to the retry topic: handled once later, and the records behind it are not held up', async (t) => {
  const { env, produce, start } = await setup(t);
  const [slow, ...others] = keysOnOnePartition(4);
  let calls = 0;
  let succeeded = 0;
  const handledAt = new Map<string, number>();
  await start(async (event) => {
    if (event.key === slow) {
      calls += 1;
      if (calls <= 2) throw new Error('database briefly away');
      succeeded += 1;
    }
    handledAt.set(event.key, Date.now());
  }, { retry: { inPlaceTries: 1, initialBackoffMs: 1_500, maxBackoffMs: 1_500 } });
  for (const key of [slow, ...others]) await produce(key ?? '');
  await waitFor('the slow record handled', () => succeeded === 1, { timeoutMs: 60_000 });
  const retries = await readTopic(env.connection.bootstrapBrokers, topicName(env.prefix, 'retry.g'), (r) => r.length >= 2);
  const firstDue = Date.parse(retries[0]?.headers.get(RETRY_HEADER.dueAt) ?? '');
  assert.deepEqual(retries.map((r) => r.headers.get(RETRY_HEADER.attempt)), ['1', '2']);
  assert.equal(retries[0]?.headers.get(RETRY_HEADER.topic), topicName(env.prefix, TOPIC.name));
  for (const key of others) {
    const at = handledAt.get(key);
    assert.ok(at !== undefined && at < firstDue, `${key} (behind the failing record on its partition) was handled before the retry was due`);
  }
  assert.equal(calls, 3, 'two failed deliveries, one success');
  assert.equal(succeeded, 1);
  const offsets = await waitFor('main offsets committed', async () => {
    const map = await committed(env.connection, `${env.prefix}g`, topicName(env.prefix, TOPIC.name));
    return map.get(3) === 4n ? map : undefined;
  });
  assert.equal(offsets.get(3), 4n);
});

test('a permanent failure is dead-lettered at once with its origin and reason; the consumer goes on', async (t) => {
  const { env, produce, start, deadLetters } = await setup(t);
  const [bad, good] = keysOnOnePartition(2, 5);
  let badCalls = 0;
  const handled: string[] = [];
  await start(async (event) => {
    if (event.key === bad) {
      badCalls += 1;
      throw new AppError('GRADE_POLICY_BROKEN', 'weights do not add up', { retryable: false });
    }
    handled.push(event.key);
  });
  const offset = await produce(bad ?? '');
  await produce(good ?? '');
  const [letter] = await deadLetters(1);
  await waitFor('the next record handled', () => handled.includes(good ?? ''));
  assert.equal(badCalls, 1, 'a permanent error is not retried');
  assert.equal(letter?.key, bad);
  assert.equal(JSON.parse(letter?.value ?? '{}').payload.student, bad?.split(':')[2]);
  const h = letter?.headers ?? new Map<string, string>();
  assert.equal(h.get('event-type'), 'pipeline.status', 'the original headers are kept');
  assert.equal(h.get(DLQ_HEADER.topic), topicName(env.prefix, TOPIC.name));
  assert.equal(h.get(DLQ_HEADER.partition), '5');
  assert.equal(h.get(DLQ_HEADER.offset), String(offset));
  assert.match(h.get(DLQ_HEADER.timestamp) ?? '', /^\d{13}$/);
  assert.deepEqual([h.get(DLQ_HEADER.group), h.get(DLQ_HEADER.code), h.get(DLQ_HEADER.message), h.get(DLQ_HEADER.cause), h.get(DLQ_HEADER.attempts)], ['g', 'GRADE_POLICY_BROKEN', 'weights do not add up', 'permanent', '1']);
  assert.ok(!Number.isNaN(Date.parse(h.get(DLQ_HEADER.firstFailedAt) ?? '')) && h.get(DLQ_HEADER.firstFailedAt) === h.get(DLQ_HEADER.lastFailedAt));
});

test('retries used up: dead-lettered with the original coordinates, the attempt count and first/last failure times', async (t) => {
  const { env, produce, start, deadLetters } = await setup(t);
  let calls = 0;
  await start(async () => {
    calls += 1;
    throw new AppError('DB_DOWN', 'database away', { retryable: true });
  }, { retry: { maxAttempts: 3, inPlaceTries: 2, inPlaceDelayMs: 10, initialBackoffMs: 50, maxBackoffMs: 100 } });
  const offset = await produce('algo:hw1:ann');
  const [letter] = await deadLetters(1);
  const h = letter?.headers ?? new Map<string, string>();
  assert.equal(h.get(DLQ_HEADER.topic), topicName(env.prefix, TOPIC.name), 'the original topic, not the retry topic');
  assert.equal(h.get(DLQ_HEADER.offset), String(offset));
  assert.deepEqual([h.get(DLQ_HEADER.attempts), h.get(DLQ_HEADER.cause), h.get(DLQ_HEADER.code)], ['3', 'retries-exhausted', 'DB_DOWN']);
  assert.ok(Date.parse(h.get(DLQ_HEADER.firstFailedAt) ?? '') < Date.parse(h.get(DLQ_HEADER.lastFailedAt) ?? ''), 'first failure before last');
  assert.equal([...h.keys()].filter((name) => name.startsWith('retry-')).length, 0, 'no retry bookkeeping left');
  assert.equal(calls, 6, '3 deliveries of 2 tries each');
});

test('poison records (not JSON, invalid payload, unknown version) are dead-lettered with the reason and the consumer keeps going', async (t) => {
  const { env, producer, produce, start, deadLetters } = await setup(t);
  const handled: string[] = [];
  await start(async (event) => void handled.push(event.key));
  const topic = topicName(env.prefix, TOPIC.name);
  const envelope = (version: number, payload: unknown) => JSON.stringify({ id: stableId('p', String(version)), type: 'pipeline.status', version, occurredAt: new Date().toISOString(), key: 'algo:hw1:ann', source: 'test', payload });
  const key = 'algo:hw1:ann';
  await producer.sendRaw({ topic, key, value: 'not json {', headers: {} });
  await producer.sendRaw({ topic, key, value: envelope(1, { state: 'bogus' }), headers: {} });
  await producer.sendRaw({ topic, key, value: envelope(99, status('ann')), headers: {} });
  await produce(key);
  const letters = await deadLetters(3);
  await waitFor('the valid record after the poison handled', () => handled.includes(key));
  assert.deepEqual(letters.map((l) => l.headers.get(DLQ_HEADER.code)), ['EVENT_NOT_JSON', 'EVENT_PAYLOAD_INVALID', 'EVENT_UNKNOWN_TYPE']);
  assert.deepEqual(letters.map((l) => l.headers.get(DLQ_HEADER.cause)), ['undecodable', 'undecodable', 'undecodable']);
  assert.equal(letters[0]?.value, 'not json {');
  assert.match(letters[2]?.headers.get(DLQ_HEADER.message) ?? '', /unknown event pipeline\.status@99/);
});

test('close during in-flight work commits only the finished records', async (t) => {
  const { env, produce, start } = await setup(t);
  const [first, second, third] = keysOnOnePartition(3, 7);
  const gate = Promise.withResolvers<void>();
  let started = false;
  const handled: string[] = [];
  const group = await start(async (event) => {
    if (event.key === first) {
      started = true;
      await gate.promise;
    }
    handled.push(event.key);
  }, { concurrency: 'partition' });
  for (const key of [first, second, third]) await produce(key ?? '');
  await waitFor('the first record in flight', () => started);
  const closing = group.close();
  gate.resolve();
  await closing;
  assert.deepEqual(handled, [first], 'the queued records were not started after close');
  const offsets = await committed(env.connection, `${env.prefix}g`, topicName(env.prefix, TOPIC.name));
  assert.equal(offsets.get(7), 1n, 'the finished record is committed, the queued ones are not');
});

test('a handler still running when the shutdown grace ends is left uncommitted for the next owner', async (t) => {
  const { env, produce, start } = await setup(t);
  const [key] = keysOnOnePartition(1, 8);
  const gate = Promise.withResolvers<void>();
  let started = false;
  const group = await start(async () => {
    started = true;
    await gate.promise;
  }, { shutdownGraceMs: 100 });
  await produce(key ?? '');
  await waitFor('the record in flight', () => started);
  await group.close();
  gate.resolve();
  const offsets = await committed(env.connection, `${env.prefix}g`, topicName(env.prefix, TOPIC.name));
  assert.ok((offsets.get(8) ?? -1n) < 1n, 'nothing committed on that partition');
});

test('a rebalance hands revoked partitions over: nothing lost, re-handled only within the in-flight window', async (t) => {
  const { env, produce, start } = await setup(t);
  const keys = Array.from({ length: 120 }, (_, i) => `algo:hw1:r${i}`);
  await Promise.all(keys.map((key) => produce(key)));
  const seen: string[] = [];
  let entered = 0;
  const joined = Promise.withResolvers<void>();
  await start(async (event) => {
    entered += 1;
    await joined.promise;
    seen.push(event.key);
  }, { instanceId: 'member-a', concurrency: 'partition' });
  await waitFor('member A busy on every partition', () => entered >= TOPIC.partitions);
  await start(async (event) => void seen.push(event.key), { instanceId: 'member-b', concurrency: 'partition' });
  joined.resolve();
  // Every offset committed: each partition's current owner has handled all of it.
  const offsets = await waitFor('all offsets committed', async () => {
    const map = await committed(env.connection, `${env.prefix}g`, topicName(env.prefix, TOPIC.name));
    const total = [...map.values()].reduce((sum, offset) => sum + offset, 0n);
    return total === BigInt(keys.length) ? map : undefined;
  }, { timeoutMs: 60_000 });
  assert.equal(offsets.size, TOPIC.partitions);
  assert.equal(new Set(seen).size, keys.length, 'nothing lost');
  const duplicates = seen.length - new Set(seen).size;
  assert.ok(duplicates <= TOPIC.partitions, `${duplicates} records handled twice; at most one in flight per partition may be`);
});

test('a member restarted under the same instance id resumes after what it committed', async (t) => {
  const { produce, start } = await setup(t);
  const firstRun: string[] = [];
  const first = await start(async (event) => void firstRun.push(event.key), { instanceId: 'worker-1' });
  for (let i = 0; i < 10; i += 1) await produce(`algo:hw1:a${i}`);
  await waitFor('first batch handled', () => firstRun.length === 10);
  await first.commit();
  await first.close();
  for (let i = 0; i < 10; i += 1) await produce(`algo:hw1:b${i}`);
  const secondRun: string[] = [];
  await start(async (event) => void secondRun.push(event.key), { instanceId: 'worker-1' });
  await waitFor('second batch handled', () => secondRun.length >= 10);
  assert.deepEqual(secondRun.sort(), Array.from({ length: 10 }, (_, i) => `algo:hw1:b${i}`).sort(), 'nothing of the first run again');
});

test('key concurrency: a slow key does not hold up other keys of its partition, and no offset is committed past it', async (t) => {
  const { env, produce, start } = await setup(t);
  const [slow, ...fast] = keysOnOnePartition(4, 5);
  const gate = Promise.withResolvers<void>();
  const handled: string[] = [];
  await start(async (event) => {
    if (event.key === slow) await gate.promise;
    handled.push(event.key);
  }, { concurrency: 'key' });
  for (const key of [slow, ...fast]) await produce(key ?? '');
  await waitFor('the other keys handled while the slow one waits', () => fast.every((key) => handled.includes(key ?? '')));
  assert.equal(handled.includes(slow ?? ''), false);
  const topic = topicName(env.prefix, TOPIC.name);
  const before = await committed(env.connection, `${env.prefix}g`, topic);
  assert.equal(before.get(5) ?? -1n, -1n, 'nothing committed while the first record is still running');
  gate.resolve();
  await waitFor('all four committed', async () => (await committed(env.connection, `${env.prefix}g`, topic)).get(5) === 4n);
});
