import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import type { KafkaMessage } from './consumer-group.ts';
import type { DeadLetterReason, RawRecord } from './dead-letter.ts';
import { DLQ_HEADER, deadLetterHeaders } from './dead-letter.ts';
import { retryPolicy } from './retry.ts';
import { FailureRouter, RETRY_HEADER, firstDelivery, readRetryState, retryGroupId, retryHeaders, retryTopicName } from './retry-topics.ts';

function message(fields: Partial<KafkaMessage> & { headers?: Map<string, string> } = {}): KafkaMessage {
  return {
    key: 'algo:hw1:ann', value: '{"x":1}', topic: 'edu.pipeline.status', partition: 4, offset: 17n, timestamp: 1_700_000_000_000n,
    headers: new Map([['event-id', 'e1']]), headerEntries: [], leaderEpoch: 0, metadata: {}, commit: () => undefined, toJSON: () => ({}) as never,
    ...fields,
  } as KafkaMessage;
}

const silent = { warn: () => {}, error: () => {}, info: () => {}, debug: () => {} } as unknown as Logger;

test('retry topic and group names derive from the group', () => {
  assert.equal(retryTopicName('edu.', 'result-processors'), 'edu.retry.result-processors');
  assert.equal(retryGroupId('edu.', 'result-processors'), 'edu.result-processors.retry');
});

test('a retry record carries the original coordinates, attempt, due time and last error; reading it back gives the next delivery', () => {
  const original = message();
  const first = firstDelivery(original);
  const now = new Date('2026-03-01T10:00:00Z');
  const due = new Date('2026-03-01T10:00:01Z');
  const headers = retryHeaders(original, first, 'notification-senders', new AppError('DB_DOWN', 'database away', { retryable: true }), due, now);
  assert.equal(headers['event-id'], 'e1', 'original headers are kept');
  assert.equal(headers[RETRY_HEADER.attempt], '1');
  assert.equal(headers[RETRY_HEADER.dueAt], due.toISOString());
  assert.equal(headers[RETRY_HEADER.topic], 'edu.pipeline.status');
  assert.equal(headers[RETRY_HEADER.lastCode], 'DB_DOWN');
  assert.equal(headers[RETRY_HEADER.firstFailedAt], now.toISOString());
  const retried = message({ topic: 'edu.retry.notification-senders', partition: 1, offset: 3n, headers: new Map(Object.entries(headers)) });
  const state = readRetryState(retried);
  assert.deepEqual(state.origin, first.origin, 'the origin is the original record, not the retry record');
  assert.equal(state.attempt, 2);
  assert.equal(state.dueAt, due.getTime());
  assert.equal(state.firstFailedAt?.toISOString(), now.toISOString());
  const again = retryHeaders(retried, state, 'notification-senders', new Error('still'), due);
  assert.equal(again[RETRY_HEADER.attempt], '2');
  assert.equal(again[RETRY_HEADER.firstFailedAt], now.toISOString(), 'the first failure time survives');
});

test('a hand-made record on the retry topic is handled at once, as a second delivery of itself', () => {
  const state = readRetryState(message({ headers: new Map([[RETRY_HEADER.attempt, 'garbage']]) }));
  assert.equal(state.attempt, 2);
  assert.equal(state.dueAt, 0);
  assert.equal(state.origin.offset, 17n);
});

test('dead-letter headers of a retried record name the original record and both failure times, without retry headers', () => {
  const first = new Date('2026-03-01T10:00:00Z');
  const retried = message({ topic: 'edu.retry.g', headers: new Map([['event-id', 'e1'], [RETRY_HEADER.attempt, '7']]) });
  const reason: DeadLetterReason = { group: 'g', error: new Error('boom'), attempts: 8, origin: { topic: 'edu.gitlab.push', partition: 2, offset: 99n, timestamp: 5n }, firstFailedAt: first, cause: 'retries-exhausted' };
  const headers = deadLetterHeaders(retried, reason, new Date('2026-03-01T10:02:00Z'));
  assert.equal(headers[RETRY_HEADER.attempt], undefined);
  assert.equal(headers['event-id'], 'e1');
  assert.deepEqual(
    [headers[DLQ_HEADER.topic], headers[DLQ_HEADER.partition], headers[DLQ_HEADER.offset], headers[DLQ_HEADER.timestamp], headers[DLQ_HEADER.attempts], headers[DLQ_HEADER.cause], headers[DLQ_HEADER.code]],
    ['edu.gitlab.push', '2', '99', '5', '8', 'retries-exhausted', 'UNEXPECTED'],
  );
  assert.equal(headers[DLQ_HEADER.firstFailedAt], first.toISOString());
  assert.equal(headers[DLQ_HEADER.lastFailedAt], '2026-03-01T10:02:00.000Z');
});

test('the router schedules a retry with backoff(attempt), and dead-letters once attempts are used up', async () => {
  const sent: RawRecord[] = [];
  const letters: DeadLetterReason[] = [];
  const router = new FailureRouter({
    group: 'g', retryTopic: 'edu.retry.g', policy: retryPolicy({ maxAttempts: 2, initialBackoffMs: 5_000, maxBackoffMs: 5_000 }),
    sender: { sendRaw: async (record) => void sent.push(record) },
    deadLetters: { send: async (_m, reason) => void letters.push(reason) },
  });
  const signal = new AbortController().signal;
  const before = Date.now();
  assert.equal(await router.transient(message(), firstDelivery(message()), new Error('blip'), signal, silent), 'retry-scheduled');
  const due = Date.parse(sent[0]?.headers[RETRY_HEADER.dueAt] ?? '');
  assert.ok(due >= before + 5_000 && due <= Date.now() + 5_000, 'due = now + backoff(1)');
  assert.equal(sent[0]?.key, 'algo:hw1:ann');
  assert.equal(sent[0]?.topic, 'edu.retry.g');
  const second = readRetryState(message({ headers: new Map(Object.entries(sent[0]?.headers ?? {})) }));
  assert.equal(await router.transient(message(), second, new Error('blip'), signal, silent), 'dead-lettered');
  assert.equal(letters[0]?.attempts, 2);
  assert.equal(letters[0]?.cause, 'retries-exhausted');
});

test('the router keeps trying to write while the broker is away, and gives up only when aborted', async () => {
  let calls = 0;
  const controller = new AbortController();
  const router = new FailureRouter({
    group: 'g', retryTopic: 't', policy: retryPolicy(),
    sender: { sendRaw: async () => { calls += 1; if (calls === 2) controller.abort(); throw new Error('broker away'); } },
    deadLetters: { send: async () => {} },
  });
  assert.equal(await router.transient(message(), firstDelivery(message()), new Error('x'), controller.signal, silent), 'abandoned');
  assert.equal(calls, 2);
});
