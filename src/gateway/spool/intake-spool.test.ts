// How the webhook intake chooses between Kafka and the spool (src/gateway/intake.ts), with a
// fake producer and spool: the real broker and files are covered by test/integration/spool.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MemoryDedupStore } from '../../cache/index.ts';
import { AppError } from '../../errors/index.ts';
import type { GitLabEventInput, ProducedRecord } from '../../events/index.ts';
import { decodeEvent } from '../../events/index.ts';
import { createLogger } from '../../logging/index.ts';
import { WebhookIntake } from '../intake.ts';
import { webhookSecrets } from '../secrets.ts';

const SECRET = 'intake-secret-0123456789';
const pushBody = () => JSON.parse(readFileSync(new URL('../../../../shared/fixtures/gitlab/push.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function intakeWith(produce: (input: GitLabEventInput) => Promise<ProducedRecord>, initialDepth = 0, full = false) {
  const spooled: Buffer[] = [];
  const produced: GitLabEventInput[] = [];
  const spool = {
    get depth() {
      return initialDepth + spooled.length;
    },
    async append(record: Uint8Array) {
      if (full) throw new AppError('SPOOL_FULL', 'the spool is full', { retryable: true });
      spooled.push(Buffer.from(record));
    },
  };
  const intake = new WebhookIntake({
    producer: { produceGitLabEvent: (input) => (produced.push(input), produce(input)) },
    resolver: { resolve: () => ({ ok: true, course: { slug: 'algo' }, assignment: { slug: 'hw1' }, student: 'ann', key: 'algo:hw1:ann' }) },
    secrets: webhookSecrets(new Map([['algo', SECRET]]), null),
    dedup: new MemoryDedupStore(),
    log: createLogger('silent'),
    spool,
    produceTimeoutMs: 200,
  });
  const deliver = () => intake.accept({ eventHeader: 'Push Hook', token: SECRET, idempotencyKey: randomUUID(), body: pushBody() });
  return { deliver, spooled, produced };
}

const ok = async (input: GitLabEventInput): Promise<ProducedRecord> => ({ topic: 't', partition: 0, offset: 0n, eventId: input.event.id ?? '' });

test('with Kafka up, the event is produced and not spooled', async () => {
  const { deliver, spooled, produced } = intakeWith(ok);
  const answer = await deliver();
  assert.deepEqual(answer, { status: 202, body: { status: 'accepted', eventId: produced[0]?.event.id } });
  assert.equal(spooled.length, 0);
});

test('a retryable Kafka failure spools the exact event (same id, key, time and payload) and answers 202 spooled', async () => {
  const { deliver, spooled, produced } = intakeWith(async () => {
    throw new AppError('KAFKA_UNAVAILABLE', 'broker away', { retryable: true });
  });
  const answer = await deliver();
  assert.equal(answer.status, 202);
  assert.equal(answer.status === 202 && answer.body.spooled, true);
  const stored = decodeEvent(spooled[0]);
  const tried = produced[0]?.event;
  assert.deepEqual([stored.id, stored.key, stored.occurredAt, stored.type], [tried?.id, tried?.key, tried?.occurredAt?.toISOString(), 'gitlab.push']);
  assert.equal(stored.type === 'gitlab.push' && stored.payload.deliveryId, (tried?.payload as { deliveryId?: string }).deliveryId);
  assert.equal(answer.status === 202 && answer.body.eventId, stored.id);
});

test('a produce that does not answer within the timeout is spooled instead of holding the webhook', async () => {
  const { deliver, spooled } = intakeWith(() => new Promise(() => {}));
  const started = performance.now();
  const answer = await deliver();
  assert.equal(answer.status === 202 && answer.body.spooled, true);
  assert.equal(spooled.length, 1);
  assert.ok(performance.now() - started < 5_000);
});

test('while the spool holds events, new ones go behind them without trying Kafka', async () => {
  const { deliver, spooled, produced } = intakeWith(ok, 3);
  const answer = await deliver();
  assert.equal(answer.status === 202 && answer.body.spooled, true);
  assert.deepEqual([produced.length, spooled.length], [0, 1]);
});

test('a permanent error is not spooled: it would fail again when forwarded', async () => {
  const { deliver, spooled } = intakeWith(async () => {
    throw new AppError('KAFKA_USAGE', 'bad request', { retryable: false });
  });
  await assert.rejects(deliver(), { code: 'KAFKA_USAGE' });
  assert.equal(spooled.length, 0);
});

test('a full spool propagates SPOOL_FULL (the route answers 503)', async () => {
  const { deliver, spooled } = intakeWith(async () => {
    throw new AppError('KAFKA_UNAVAILABLE', 'broker away', { retryable: true });
  }, 0, true);
  await assert.rejects(deliver(), { code: 'SPOOL_FULL' });
  assert.equal(spooled.length, 0);
});
