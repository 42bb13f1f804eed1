import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartitionQueues } from './partition-queues.ts';

const noFlow = { pause: () => {}, resume: () => {} };

function gate() {
  const { promise, resolve } = Promise.withResolvers<void>();
  return { promise, open: () => resolve() };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test('one partition runs in order; partitions run at the same time', async () => {
  const queues = new PartitionQueues(100, noFlow);
  const started: string[] = [];
  const first = gate();
  queues.push('a', async () => { started.push('a0'); await first.promise; });
  queues.push('a', async () => { started.push('a1'); });
  queues.push('b', async () => { started.push('b0'); });
  await tick();
  assert.deepEqual(started.sort(), ['a0', 'b0'], 'a1 waits for a0, b0 does not');
  first.open();
  await queues.drain();
  assert.deepEqual(started.sort(), ['a0', 'a1', 'b0']);
  assert.equal(queues.size, 0);
});

test('fetching pauses at the limit and resumes at half', async () => {
  const events: string[] = [];
  const queues = new PartitionQueues(4, { pause: () => events.push('pause'), resume: () => events.push('resume') });
  const g = gate();
  for (let i = 0; i < 4; i += 1) queues.push(`p${i}`, () => g.promise);
  assert.deepEqual(events, ['pause']);
  g.open();
  await queues.drain();
  assert.deepEqual(events, ['pause', 'resume']);
});

test('revoke skips queued work, aborts running work, and later work starts after it', async () => {
  const queues = new PartitionQueues(100, noFlow);
  const ran: string[] = [];
  const running = gate();
  let runningSignal: AbortSignal | undefined;
  queues.push('a', async (signal) => { runningSignal = signal; ran.push('a0'); await running.promise; ran.push('a0 done'); });
  queues.push('a', async () => { ran.push('a1'); });
  await tick();
  queues.revoke('a');
  assert.equal(runningSignal?.aborted, true, 'the running work is told');
  queues.push('a', async (signal) => { ran.push(`a2 aborted=${signal.aborted}`); });
  await tick();
  assert.deepEqual(ran, ['a0'], 'a2 waits for the running a0 even though a0 was revoked');
  running.open();
  await queues.drain();
  assert.deepEqual(ran, ['a0', 'a0 done', 'a2 aborted=false'], 'a1 was abandoned, a2 (pushed after the revoke) ran');
});

test('hold keeps queued work from starting until release; revoking while held abandons it', async () => {
  const queues = new PartitionQueues(100, noFlow);
  const ran: string[] = [];
  queues.hold();
  queues.push('a', async () => { ran.push('a0'); });
  queues.push('b', async () => { ran.push('b0'); });
  await tick();
  assert.deepEqual(ran, []);
  queues.revoke('b');
  queues.release();
  await queues.drain();
  assert.deepEqual(ran, ['a0']);
});

test('a failing work item does not break its chain', async () => {
  const queues = new PartitionQueues(100, noFlow);
  const ran: number[] = [];
  queues.push('a', async () => { ran.push(0); throw new Error('bug'); });
  queues.push('a', async () => { ran.push(1); });
  await queues.drain();
  assert.deepEqual(ran, [0, 1]);
});
