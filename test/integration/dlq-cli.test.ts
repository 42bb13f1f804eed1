// `gradeflow dlq` against the real broker: list with filters, show, and the redrive round trip
// (a letter sent back is handled by the group once its cause is fixed, and only once redriven).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { runDlq } from '../../src/cli/dlq.ts';
import { TOPICS, stableId, topicName } from '../../src/events/index.ts';
import { AppError } from '../../src/errors/index.ts';
import { KafkaConsumerGroup, KafkaEventProducer, kafkaDeadLetterSink, provisionTopics } from '../../src/kafka/index.ts';
import { REDRIVEN_FROM_HEADER } from '../../src/kafka/dead-letter.ts';
import { createLogger } from '../../src/logging/index.ts';
import { readTopic } from '../support/kafka-read.ts';
import { testEnv } from '../support/context.ts';
import { waitFor } from '../support/wait.ts';

function capture() {
  let text = '';
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { text += chunk.toString('utf8'); done(); } });
  return { stream, text: () => text };
}

async function dlq(config: Parameters<typeof runDlq>[0], ...args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await runDlq(config, args, { stdout: stdout.stream, stderr: stderr.stream });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

test('dlq list, show and redrive: a fixed cause lets the redriven record through, once', async (t) => {
  const env = testEnv();
  await provisionTopics(env.connection);
  const producer = new KafkaEventProducer(env.connection, 'test');
  t.after(() => producer.close());
  let fixed = false;
  const handled: string[] = [];
  const group = new KafkaConsumerGroup(env.connection, {
    group: 'notification-senders', topics: [TOPICS.pipelineStatus.name], log: createLogger('silent'),
    deadLetters: kafkaDeadLetterSink(producer, env.prefix), sender: producer,
  });
  t.after(() => group.close());
  await group.consume(async (event) => {
    if (event.key === 'algo:hw1:bad' && !fixed) throw new AppError('COURSE_MISSING', 'no course "algo" is loaded', { retryable: false });
    handled.push(event.key);
  });
  const topic = topicName(env.prefix, TOPICS.pipelineStatus.name);
  const payload = { submissionId: stableId('bad'), course: 'algo', assignment: 'hw1', student: 'bad', commitSha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7', state: 'queued' as const, reason: null };
  await producer.producePipelineStatus({ key: 'algo:hw1:bad', payload });
  await producer.sendRaw({ topic, key: 'algo:hw1:junk', value: '<xml/>', headers: {} });
  await readTopic(env.connection.bootstrapBrokers, topicName(env.prefix, TOPICS.deadLetter.name), (r) => r.length >= 2);

  const all = await dlq(env.config, 'list');
  assert.equal(all.code, 0);
  assert.match(all.stdout, /^OFFSET\s+TIME\s+TOPIC\s+GROUP\s+CODE/m);
  assert.match(all.stdout, /pipeline\.status\s+notification-senders\s+COURSE_MISSING\s+1\s+no course "algo" is loaded/);
  assert.match(all.stdout, /EVENT_NOT_JSON/);
  assert.match(all.stdout, /2 dead letter\(s\)/);
  assert.match((await dlq(env.config, 'list', '--code', 'COURSE_MISSING')).stdout, /1 dead letter\(s\)/);
  assert.match((await dlq(env.config, 'list', '--group', 'nobody')).stdout, /0 dead letter\(s\)/);
  assert.match((await dlq(env.config, 'list', '--topic', 'pipeline.status', '--since', '1h')).stdout, /2 dead letter\(s\)/);
  assert.match((await dlq(env.config, 'list', '--since', new Date(Date.now() + 3_600_000).toISOString())).stdout, /0 dead letter\(s\)/);

  const [line] = (await dlq(env.config, 'list', '--code', 'COURSE_MISSING', '--json')).stdout.trim().split('\n');
  const listed = JSON.parse(line ?? '{}') as { id: string; originalTopic: string; redriven: boolean };
  assert.equal(listed.originalTopic, topic);
  assert.equal(listed.redriven, false);
  const shown = await dlq(env.config, 'show', listed.id);
  assert.equal(shown.code, 0);
  assert.match(shown.stdout, /dlq-error-code: COURSE_MISSING/);
  assert.match(shown.stdout, /event-type: pipeline\.status/);
  assert.match(shown.stdout, /\n {4}"student": "bad"/, 'the value is pretty-printed');

  fixed = true;
  const redriven = await dlq(env.config, 'redrive', '--code', 'COURSE_MISSING');
  assert.equal(redriven.code, 0, redriven.stderr);
  assert.match(redriven.stdout, /redriven 1, skipped 0/);
  await waitFor('the redriven record handled', () => handled.includes('algo:hw1:bad'));
  const records = await readTopic(env.connection.bootstrapBrokers, topic, (r) => r.some((record) => record.headers.has(REDRIVEN_FROM_HEADER)));
  const back = records.find((record) => record.headers.has(REDRIVEN_FROM_HEADER));
  assert.equal(back?.key, 'algo:hw1:bad');
  assert.equal(back?.headers.get(REDRIVEN_FROM_HEADER), `${topicName(env.prefix, TOPICS.deadLetter.name)}:${listed.id}`);
  assert.deepEqual([...(back?.headers.keys() ?? [])].filter((name) => name.startsWith('dlq-') || name.startsWith('retry-')), []);
  assert.equal(back?.headers.get('event-type'), 'pipeline.status');

  const again = await dlq(env.config, 'redrive', '--code', 'COURSE_MISSING');
  assert.match(again.stdout, /redriven 0, skipped 1 already redriven/);
  assert.match((await dlq(env.config, 'list', '--code', 'COURSE_MISSING')).stdout, /\syes\s/);
  assert.equal(handled.filter((key) => key === 'algo:hw1:bad').length, 1);
});

test('dlq refuses bad usage with exit code 2 and a missing letter with 1', async () => {
  const env = testEnv();
  assert.equal((await dlq(env.config, 'frobnicate')).code, 2);
  assert.equal((await dlq(env.config, 'show', 'twelve')).code, 2);
  assert.equal((await dlq(env.config, 'list', '--since', 'yesterday-ish')).code, 2);
  assert.equal((await dlq(env.config, 'list', '--bogus')).code, 2);
  const missing = await dlq(env.config, 'show', '0:999');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no dead letter at 0:999/);
});
