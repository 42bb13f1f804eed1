// EventProducer against the real broker: safe settings, Java-compatible partitioning, and the
// regression for concurrent idempotent sends (N concurrent sends -> N distinct offsets).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVENTS, TOPICS, decodeEvent, stableId, topicName } from '../../src/events/index.ts';
import { KafkaEventProducer, provisionTopics } from '../../src/kafka/index.ts';
import { readTopic } from '../support/kafka-read.ts';
import { testEnv } from '../support/context.ts';
import { javaPartitionForKey } from '../support/murmur2.ts';

const SHA = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';

function status(student: string) {
  return { submissionId: stableId(student), course: 'algo', assignment: 'hw1', student, commitSha: SHA, state: 'queued' as const, reason: null };
}

test('topics are provisioned from the table, idempotently', async () => {
  const { connection, prefix } = testEnv();
  const first = await provisionTopics(connection);
  assert.deepEqual(first.created.sort(), Object.values(TOPICS).map((t) => `${prefix}${t.name}`).sort());
  const second = await provisionTopics(connection);
  assert.deepEqual(second.created, []);
  assert.equal(second.existing.length, Object.keys(TOPICS).length);
  assert.deepEqual(second.warnings, []);
});

test('several instances provisioning at once each succeed, and each topic is created once', async () => {
  const { connection } = testEnv();
  const reports = await Promise.all([1, 2, 3, 4].map(() => provisionTopics(connection)));
  const created = reports.flatMap((r) => r.created);
  assert.equal(created.length, Object.keys(TOPICS).length);
  assert.equal(new Set(created).size, created.length);
});

test('N concurrent idempotent sends of one key get N distinct, consecutive offsets', async (t) => {
  const { connection, prefix } = testEnv();
  await provisionTopics(connection);
  const producer = new KafkaEventProducer(connection, 'test');
  t.after(() => producer.close());
  const N = 200;
  const results = await Promise.all(Array.from({ length: N }, () => producer.producePipelineStatus({ key: 'algo:hw1:same', payload: status('same') })));
  const partitions = new Set(results.map((r) => r.partition));
  assert.equal(partitions.size, 1, 'one key, one partition');
  const offsets = results.map((r) => r.offset).sort((a, b) => (a < b ? -1 : 1));
  assert.deepEqual(offsets, Array.from({ length: N }, (_, i) => BigInt(i)));
  const records = await readTopic(connection.bootstrapBrokers, topicName(prefix, TOPICS.pipelineStatus.name), (r) => r.length >= N);
  assert.equal(records.length, N, 'no duplicates written by retries');
});

test('the partition of a key is the one Java clients compute (murmur2), and events carry their headers', async (t) => {
  const { connection, prefix } = testEnv();
  await provisionTopics(connection);
  const producer = new KafkaEventProducer(connection, 'test');
  t.after(() => producer.close());
  const keys = Array.from({ length: 40 }, (_, i) => `algo-2026:hw${i % 3}:student-${i}`);
  const produced = await Promise.all(keys.map((key, i) => producer.produceGitLabEvent({
    type: 'gitlab.event',
    event: { key, payload: { deliveryId: `d${i}`, receivedAt: new Date().toISOString(), kind: 'pipeline', course: null, assignment: null, student: null, projectId: i, projectPath: null, body: {} } },
  })));
  produced.forEach((record, i) => assert.equal(record.partition, javaPartitionForKey(keys[i] ?? '', TOPICS.gitlabEvents.partitions), `key ${keys[i]}`));
  const records = await readTopic(connection.bootstrapBrokers, topicName(prefix, EVENTS.gitlabEvent.topic), (r) => r.length >= keys.length);
  for (const record of records) {
    assert.equal(record.partition, javaPartitionForKey(record.key ?? '', TOPICS.gitlabEvents.partitions));
    assert.equal(record.headers.get('event-type'), 'gitlab.event');
    assert.equal(record.headers.get('event-version'), '1');
    assert.equal(decodeEvent(record.value).key, record.key);
  }
});

test('an invalid event is refused before it reaches Kafka', async (t) => {
  const { connection } = testEnv();
  const producer = new KafkaEventProducer(connection, 'test');
  t.after(() => producer.close());
  await assert.rejects(producer.producePipelineStatus({ key: 'k', payload: { ...status('x'), state: 'bogus' as 'queued' } }), /EVENT_INVALID|refusing to produce/);
});
