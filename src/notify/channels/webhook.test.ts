import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { GradeSummary } from '../types.ts';
import { signature, webhookBody } from './webhook.ts';

test('the signature is sha256= and the hex HMAC of the exact body', () => {
  const body = '{"a":1}';
  assert.equal(signature('k', body), `sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
  assert.notEqual(signature('k', body), signature('k', '{"a":2}'));
  assert.notEqual(signature('k', body), signature('other', body));
});

test('the body: a line for chat hooks and the whole grade', () => {
  const grade = {
    submissionId: '7f0c8a52-3c3e-4a7e-9d43-2f1f5b0c9e11', course: 'algo-2026', assignment: 'hw1', student: 'alice',
    commitSha: '0'.repeat(40), score: 100, maxScore: 100, passed: 1, total: 1, verdict: 'graded', verdictMessage: null,
    latePenaltyPercent: 0, tests: [], url: null,
  } satisfies GradeSummary;
  assert.deepEqual(webhookBody(grade), { type: 'grade', text: 'algo-2026 hw1 alice: Score 100/100 (1/1 test)', grade });
});
