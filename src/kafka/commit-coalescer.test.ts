import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommitCoalescer } from './commit-coalescer.ts';

/** Records whose commits finish when the test says so, logging what was committed. */
function recorder() {
  const committed: string[] = [];
  const waiting: Array<() => void> = [];
  const record = (name: string, fail = false) => ({
    name,
    commit: () => new Promise<void>((resolve, reject) => {
      waiting.push(() => {
        committed.push(name);
        if (fail) reject(new Error(`commit of ${name} failed`));
        else resolve();
      });
    }),
  });
  const finishOne = async () => {
    const next = waiting.shift();
    assert.ok(next, 'a commit is in flight');
    next();
    // Let the coalescer's loop take its next record.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { committed, waiting, record, finishOne };
}

test('a burst of records while a commit is in flight costs one more commit, of the newest', async () => {
  const { committed, waiting, record, finishOne } = recorder();
  const coalescer = new CommitCoalescer((error) => assert.fail(String(error)));
  coalescer.request('t:0', record('r1'));
  for (let i = 2; i <= 100; i += 1) coalescer.request('t:0', record(`r${i}`));
  assert.equal(waiting.length, 1, 'only the first commit started');
  await finishOne();
  assert.equal(waiting.length, 1, 'then one commit of what came meanwhile');
  await finishOne();
  await coalescer.flush();
  assert.deepEqual(committed, ['r1', 'r100']);
});

test('partitions commit independently', async () => {
  const { committed, waiting, record, finishOne } = recorder();
  const coalescer = new CommitCoalescer((error) => assert.fail(String(error)));
  coalescer.request('t:0', record('a1'));
  coalescer.request('t:1', record('b1'));
  assert.equal(waiting.length, 2);
  await finishOne();
  await finishOne();
  await coalescer.flush();
  assert.deepEqual(committed.sort(), ['a1', 'b1']);
});

test('a forgotten partition does not commit the record waiting behind the one in flight', async () => {
  const { committed, record, finishOne } = recorder();
  const coalescer = new CommitCoalescer((error) => assert.fail(String(error)));
  coalescer.request('t:0', record('r1'));
  coalescer.request('t:0', record('r2'));
  coalescer.forget('t:0');
  await finishOne();
  await coalescer.flush();
  assert.deepEqual(committed, ['r1']);
});

test('a failed commit is reported and the next record still commits', async () => {
  const { committed, record, finishOne } = recorder();
  const failures: string[] = [];
  const coalescer = new CommitCoalescer((error, partition) => failures.push(`${partition}: ${(error as Error).message}`));
  coalescer.request('t:0', record('r1', true));
  coalescer.request('t:0', record('r2'));
  await finishOne();
  await finishOne();
  await coalescer.flush();
  assert.deepEqual(committed, ['r1', 'r2']);
  assert.deepEqual(failures, ['t:0: commit of r1 failed']);
});

test('flush waits for commits requested while it waits', async () => {
  const { committed, record, finishOne } = recorder();
  const coalescer = new CommitCoalescer((error) => assert.fail(String(error)));
  coalescer.request('t:0', record('r1'));
  let flushed = false;
  const flushing = coalescer.flush().then(() => (flushed = true));
  coalescer.request('t:0', record('r2'));
  await finishOne();
  assert.equal(flushed, false, 'r2 is still to commit');
  await finishOne();
  await flushing;
  assert.deepEqual(committed, ['r1', 'r2']);
});
