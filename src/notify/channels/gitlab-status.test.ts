import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planPipelineStatus, queuedDescription } from './gitlab-status.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const status = (state: Parameters<typeof planPipelineStatus>[0]['state'], code: string | null = null, reason: string | null = null) =>
  ({ state, code, reason, commitSha: SHA });

test('queued: pending with the number of checks ahead', () => {
  assert.deepEqual(planPipelineStatus(status('queued'), 3), {
    status: { state: 'pending', description: 'Queued: 3 checks ahead' }, comment: null, bestEffort: true,
  });
  assert.deepEqual([0, 1, 2].map(queuedDescription), ['Queued: next to be checked', 'Queued: 1 check ahead', 'Queued: 2 checks ahead']);
});

test('running: best effort, no comment', () => {
  assert.deepEqual(planPipelineStatus(status('running'), null), { status: { state: 'running', description: 'Checking…' }, comment: null, bestEffort: true });
});

test('skipped: a skipped status with the reason, and a comment saying why', () => {
  const reason = 'Attempt limit reached: 10 checks in the last hour; next attempt possible at 14:05 UTC.';
  const plan = planPipelineStatus(status('skipped', 'attempt-limit-hour', reason), null);
  assert.deepEqual(plan.status, { state: 'skipped', description: reason });
  assert.equal(plan.comment, `### ⏭️ Not checked\n\nCommit \`01234567\`: ${reason}\n`);
  assert.equal(plan.bestEffort, false);
});

test('skipped without a reason text: a default per code; never a blank', () => {
  assert.match(planPipelineStatus(status('skipped', 'after-cutoff'), null).status?.description ?? '', /cutoff has passed/);
  assert.equal(planPipelineStatus(status('skipped', 'something-new', '  '), null).status?.description, 'This push is not checked.');
});

test('duplicate commit: a comment only, the status with the result stays', () => {
  const plan = planPipelineStatus(status('skipped', 'duplicate-commit', 'Commit 01234567 was already checked: push a new commit.'), null);
  assert.equal(plan.status, null);
  assert.match(plan.comment ?? '', /already checked/);
});

test('error: canceled, "System error: …, not counted", within 255 characters', () => {
  assert.deepEqual(planPipelineStatus(status('error', null, 'runner lost\nthe sandbox'), null).status,
    { state: 'canceled', description: 'System error: runner lost the sandbox, not counted' });
  assert.equal(planPipelineStatus(status('error'), null).status?.description, 'System error: the check could not run, not counted');
  const long = planPipelineStatus(status('error', null, 'x'.repeat(500)), null).status?.description ?? '';
  assert.equal([...long].length, 255);
  assert.ok(long.endsWith('…, not counted'));
});

test('passed and failed: nothing, the grade tells', () => {
  for (const state of ['passed', 'failed'] as const) {
    assert.deepEqual(planPipelineStatus(status(state), null), { status: null, comment: null, bestEffort: true });
  }
});
