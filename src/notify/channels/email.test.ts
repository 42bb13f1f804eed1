import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../errors/index.ts';
import type { GradeSummary } from '../types.ts';
import { gradeEmail, redactUrl } from './email.ts';

const grade: GradeSummary = {
  submissionId: '7f0c8a52-3c3e-4a7e-9d43-2f1f5b0c9e11', course: 'algo-2026', assignment: 'hw1', student: 'alice.b',
  commitSha: '0123456789abcdef0123456789abcdef01234567', score: 70, maxScore: 100, passed: 7, total: 10,
  verdict: 'graded', verdictMessage: null, latePenaltyPercent: 0, tests: [], url: null,
};
const settings = { from: 'Gradeflow <grades@uni.example>', to: '{student}@uni.example' };

test('the student address from the template, the status line as subject, the comment as body', () => {
  const message = gradeEmail(settings, grade);
  assert.equal(message.to, 'alice.b@uni.example');
  assert.equal(message.from, 'Gradeflow <grades@uni.example>');
  assert.equal(message.subject, '[algo-2026] hw1: Score 70/100 (7/10 tests)');
  assert.match(message.text, /^### ❌ Score: 70\/100\n/);
});

test('a student slug that would not make a single address is refused, permanently', () => {
  for (const student of ['a,b', 'a>b', 'a\r\nBcc: x', 'a b']) {
    assert.throws(() => gradeEmail(settings, { ...grade, student }), (error: unknown) => error instanceof AppError && !error.retryable);
  }
});

test('the SMTP URL, its password and user name are redacted from text', () => {
  const url = 'smtp://grader:p%40ss-w0rd@mail.example:587';
  assert.equal(redactUrl(`login as grader with p@ss-w0rd at ${url}`, url), 'login as *** with *** at ***');
});
