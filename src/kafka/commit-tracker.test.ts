import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommitTracker } from './commit-tracker.ts';

test('a partition is committed only up to the newest record whose predecessors are handled', () => {
  const tracker = new CommitTracker<string>();
  for (const offset of [10n, 11n, 12n]) tracker.track('t:0', offset, `r${offset}`);
  assert.equal(tracker.settle('t:0', 11n, true), null, '10 still running: nothing to commit');
  assert.equal(tracker.settle('t:0', 10n, true), 'r11', '10 and 11 handled: commit 11');
  assert.equal(tracker.settle('t:0', 12n, true), 'r12');
});

test('partitions are independent', () => {
  const tracker = new CommitTracker<string>();
  tracker.track('t:0', 0n, 'a0');
  tracker.track('t:1', 0n, 'b0');
  assert.equal(tracker.settle('t:1', 0n, true), 'b0');
  assert.equal(tracker.settle('t:0', 0n, true), 'a0');
});

test('an abandoned record is never committed past', () => {
  const tracker = new CommitTracker<string>();
  for (const offset of [0n, 1n, 2n]) tracker.track('t:0', offset, `r${offset}`);
  assert.equal(tracker.settle('t:0', 0n, true), 'r0');
  assert.equal(tracker.settle('t:0', 1n, false), null);
  assert.equal(tracker.settle('t:0', 2n, true), null, 'offset 1 stays uncommitted');
});

test('a forgotten (revoked) partition commits nothing more', () => {
  const tracker = new CommitTracker<string>();
  tracker.track('t:0', 5n, 'r5');
  tracker.forget('t:0');
  assert.equal(tracker.settle('t:0', 5n, true), null);
});
