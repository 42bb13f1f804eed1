import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, test } from 'node:test';
import { AppError } from '../../errors/index.ts';
import type { EventDefinition, EventPublisher, NewEvent, ProducedRecord } from '../../events/index.ts';
import { EVENTS, createEnvelope, encodeEvent } from '../../events/index.ts';
import { createLogger } from '../../logging/index.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { startForwarder } from './forwarder.ts';
import { openSpool } from './spool.ts';

// Forwarders and spools are stopped even when a test fails, so a failure cannot hang the run.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function spoolIn(dir?: string) {
  const where = dir ?? (await mkdtemp(path.join(tmpdir(), 'gradeflow-forwarder-')));
  if (dir === undefined) cleanups.push(() => rm(where, { recursive: true, force: true }));
  const spool = await openSpool({ dir: where, maxBytes: 1 << 20, log: createLogger('silent') });
  cleanups.push(() => spool.close());
  return spool;
}

function forward(...args: Parameters<typeof startForwarder>) {
  const forwarder = startForwarder(...args);
  cleanups.push(() => forwarder.stop());
  return forwarder;
}

const log = createLogger('silent');
const fast = { log, initialDelayMs: 5, maxDelayMs: 20 };

function event(key: string, n: number) {
  return createEnvelope(EVENTS.gitlabEvent, 'gateway', {
    key,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    payload: { deliveryId: `${key}-${n}`, receivedAt: new Date().toISOString(), kind: 'note', course: null, assignment: null, student: null, projectId: n, projectPath: null, body: { n } },
  });
}

interface Sent {
  readonly type: string;
  readonly id: string | undefined;
  readonly key: string;
  readonly occurredAt: Date | undefined;
}

/** A publisher whose behaviour per call the test decides. */
function publisher(behaviour: (sent: Sent, attempt: number) => Promise<void> | void = () => {}) {
  const sent: Sent[] = [];
  const attempts = new Map<string, number>();
  const fake: Pick<EventPublisher, 'publish'> = {
    async publish(definition: EventDefinition, input: NewEvent<never>): Promise<ProducedRecord> {
      const call = { type: definition.type, id: input.id, key: input.key, occurredAt: input.occurredAt };
      const attempt = (attempts.get(input.id ?? '') ?? 0) + 1;
      attempts.set(input.id ?? '', attempt);
      await behaviour(call, attempt);
      sent.push(call);
      return { topic: 't', partition: 0, offset: 0n, eventId: input.id ?? '' };
    },
  } as unknown as Pick<EventPublisher, 'publish'>;
  return { fake, sent };
}

test('the forwarder sends every spooled event with its own id and time, in order per key, then empties the spool', async () => {
  const spool = await spoolIn();
  const events = Array.from({ length: 30 }, (_, i) => event(`k${i % 3}`, i));
  for (const e of events) await spool.append(encodeEvent(e));
  const index = new Map(events.map((e, i) => [e.id, i]));
  const { fake, sent } = publisher(async (call) => {
    // Kafka latency: older events answer slower, so sending them concurrently would reorder them.
    await delay(Math.round((30 - (index.get(call.id ?? '') ?? 0)) / 3));
  });
  const forwarder = forward(spool, fake, { ...fast, batchSize: 7 });
  await forwarder.drained();
  await forwarder.stop();
  assert.equal(sent.length, 30);
  assert.deepEqual(new Set(sent.map((s) => s.id)), new Set(events.map((e) => e.id)));
  for (const key of ['k0', 'k1', 'k2']) {
    assert.deepEqual(sent.filter((s) => s.key === key).map((s) => s.id), events.filter((e) => e.key === key).map((e) => e.id), `order of ${key}`);
  }
  for (const e of events) {
    const forwarded = sent.find((s) => s.id === e.id);
    assert.deepEqual([forwarded?.type, forwarded?.occurredAt?.toISOString()], [e.type, e.occurredAt]);
  }
  assert.equal(spool.depth, 0);
  await spool.close();
});

test('while Kafka fails, the forwarder retries the same event and nothing is acknowledged; then it goes on', async () => {
  const spool = await spoolIn();
  const events = [event('a', 1), event('a', 2), event('b', 3)];
  for (const e of events) await spool.append(encodeEvent(e));
  let kafkaUp = false;
  const failedIds: Array<string | undefined> = [];
  const { fake, sent } = publisher((call) => {
    if (kafkaUp) return;
    failedIds.push(call.id);
    throw new AppError('KAFKA_UNAVAILABLE', 'broker away', { retryable: true });
  });
  const forwarder = forward(spool, fake, fast);
  await waitFor('several failed attempts', () => failedIds.length >= 6);
  assert.equal(spool.depth, 3, 'nothing acknowledged while Kafka is away');
  // Per key, only the head is attempted: a later event of key a never overtakes the first.
  assert.ok(!failedIds.includes(events[1]?.id), 'the second event of key a waits for the first');
  kafkaUp = true;
  await forwarder.drained();
  await forwarder.stop();
  assert.deepEqual(sent.filter((s) => s.key === 'a').map((s) => s.id), [events[0]?.id, events[1]?.id]);
  assert.deepEqual(sent.filter((s) => s.key === 'b').map((s) => s.id), [events[2]?.id]);
  await spool.close();
});

test('an event Kafka refuses for good is set aside beside the spool, and later events still go', async () => {
  const spool = await spoolIn();
  const poison = event('p', 1);
  const next = event('p', 2);
  await spool.append(encodeEvent(poison));
  await spool.append(Buffer.from('{"not":"an envelope"}'));
  await spool.append(encodeEvent(next));
  const { fake, sent } = publisher((call) => {
    if (call.id === poison.id) throw new AppError('KAFKA_USAGE', 'record too large', { retryable: false });
  });
  const forwarder = forward(spool, fake, fast);
  await forwarder.drained();
  await forwarder.stop();
  assert.deepEqual(sent.map((s) => s.id), [next.id]);
  const rejected = await readdir(path.join(spool.dir, 'rejected'));
  assert.equal(rejected.length, 2);
  const kept = await Promise.all(rejected.map((name) => readFile(path.join(spool.dir, 'rejected', name), 'utf8')));
  assert.ok(kept.includes(encodeEvent(poison).toString('utf8')), 'the refused event is kept byte for byte');
  await spool.close();
});

test('stop() returns while a produce hangs; the unacknowledged event is forwarded after a restart', async () => {
  const first = await spoolIn();
  const dir = first.dir;
  const pending = event('s', 1);
  await first.append(encodeEvent(pending));
  let started = false;
  const hanging = publisher(() => {
    started = true;
    return new Promise(() => {}); // Kafka never answers
  });
  const forwarder = forward(first, hanging.fake, fast);
  await waitFor('the produce to start', () => started);
  await forwarder.stop();
  assert.equal(first.depth, 1);
  await first.close();
  const second = await spoolIn(dir);
  const { fake, sent } = publisher();
  const again = forward(second, fake, fast);
  await again.drained();
  await again.stop();
  assert.deepEqual(sent.map((s) => s.id), [pending.id]);
  await second.close();
});

test('the forwarder waits for new events and forwards them as they are appended', async () => {
  const spool = await spoolIn();
  const { fake, sent } = publisher();
  const forwarder = forward(spool, fake, fast);
  const later = event('w', 1);
  await spool.append(encodeEvent(later));
  await waitFor('the appended event to be forwarded', () => sent.length === 1 && spool.depth === 0);
  await forwarder.stop();
  assert.equal(sent[0]?.id, later.id);
  await spool.close();
});
