import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrioritySlots } from './priority-slots.ts';

test('free slots are granted at once, each with its own index', async () => {
  const slots = new PrioritySlots(2);
  const [a, b] = await Promise.all([slots.acquire('normal'), slots.acquire('regrade')]);
  assert.deepEqual([a.index, b.index].sort(), [0, 1]);
  assert.equal(slots.available, 0);
});

test('a freed slot goes to waiting exam work first, then practice, then re-grades', async () => {
  const slots = new PrioritySlots(1);
  const first = await slots.acquire('normal');
  const order: string[] = [];
  const waiters = (['regrade', 'normal', 'exam', 'normal'] as const).map((priority, i) =>
    slots.acquire(priority).then((slot) => {
      order.push(`${priority}${i}`);
      slot.release();
    }),
  );
  assert.deepEqual([slots.waiting('exam'), slots.waiting('normal'), slots.waiting('regrade')], [1, 2, 1]);
  first.release();
  await Promise.all(waiters);
  assert.deepEqual(order, ['exam2', 'normal1', 'normal3', 'regrade0']);
  assert.equal(slots.available, 1);
});

test('releasing twice frees the slot once', async () => {
  const slots = new PrioritySlots(1);
  const slot = await slots.acquire('exam');
  slot.release();
  slot.release();
  assert.equal(slots.available, 1);
});
