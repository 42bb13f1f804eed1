import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedScheduler } from './keyed-scheduler.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const noFlow = { pause: () => {}, resume: () => {} };

test('different keys run at the same time; one key runs in order', async () => {
  const advanced: number[] = [];
  const scheduler = new KeyedScheduler<number>(100, noFlow, (_p, offset) => advanced.push(offset));
  const gates = [deferred(), deferred(), deferred()];
  const started: string[] = [];
  scheduler.push('p0', 'a', 0, async () => { started.push('a0'); await gates[0]!.promise; });
  scheduler.push('p0', 'b', 1, async () => { started.push('b1'); await gates[1]!.promise; });
  scheduler.push('p0', 'a', 2, async () => { started.push('a2'); await gates[2]!.promise; });
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(started, ['a0', 'b1'], 'b does not wait for a; a2 waits for a0');
  gates[1]!.resolve();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(advanced, [], 'offset 1 is done but 0 is not: nothing is committable');
  gates[0]!.resolve();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, ['a0', 'b1', 'a2']);
  assert.deepEqual(advanced, [1], 'offsets 0 and 1 done: commit up to 1');
  gates[2]!.resolve();
  await scheduler.drain();
  assert.deepEqual(advanced, [1, 2]);
});

test('one key per partition is partition-serial', async () => {
  const order: number[] = [];
  const scheduler = new KeyedScheduler<number>(100, noFlow, () => {});
  for (let i = 0; i < 20; i += 1) {
    scheduler.push('p0', 'p0', i, async () => {
      await new Promise((r) => setTimeout(r, (20 - i) % 3));
      order.push(i);
    });
  }
  await scheduler.drain();
  assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
});

test('fetching pauses at the limit and resumes at half', async () => {
  const events: string[] = [];
  const scheduler = new KeyedScheduler<number>(4, { pause: () => events.push('pause'), resume: () => events.push('resume') }, () => {});
  const gate = deferred();
  for (let i = 0; i < 4; i += 1) scheduler.push('p0', `k${i}`, i, () => gate.promise);
  assert.deepEqual(events, ['pause']);
  gate.resolve();
  await scheduler.drain();
  assert.deepEqual(events, ['pause', 'resume']);
  assert.equal(scheduler.size, 0);
});

test('a record not handled (abandoned, or a failing bug) keeps its chain going but is never committed past', async () => {
  const advanced: number[] = [];
  const scheduler = new KeyedScheduler<number>(100, noFlow, (_p, o) => advanced.push(o));
  const seen: number[] = [];
  scheduler.push('p0', 'a', 0, async () => { seen.push(0); });
  scheduler.push('p0', 'a', 1, async () => { seen.push(1); throw new Error('boom'); });
  scheduler.push('p0', 'a', 2, async () => { seen.push(2); });
  scheduler.push('p0', 'b', 3, async () => { seen.push(3); return false; });
  await scheduler.drain();
  assert.deepEqual(seen.sort(), [0, 1, 2, 3]);
  assert.deepEqual(advanced, [0], 'offset 1 was not handled: the commit stays at 0');
});
