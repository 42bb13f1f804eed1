import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitState, formatNumber, statusDescription, statusName } from './format.ts';
import type { GradeSummary } from './types.ts';

function grade(overrides: Partial<GradeSummary> = {}): GradeSummary {
  return {
    submissionId: '7f0c8a52-3c3e-4a7e-9d43-2f1f5b0c9e11', course: 'algo-2026', assignment: 'hw1', student: 'alice',
    commitSha: '0123456789abcdef0123456789abcdef01234567', score: 70, maxScore: 100, passed: 7, total: 10,
    verdict: 'graded', verdictMessage: null, latePenaltyPercent: 0, tests: [], url: null, ...overrides,
  };
}

test('numbers: one decimal, no trailing .0, no binary noise, no -0', () => {
  assert.deepEqual([70, 66.666, 0.05, 1.25, 99.95, 0.1 + 0.2, -0.01, 12.0].map(formatNumber), ['70', '66.7', '0.1', '1.3', '100', '0.3', '0', '12']);
  assert.equal(formatNumber(Number.NaN), '?');
});

test('a graded submission: score and tests, with the late penalty when there is one', () => {
  assert.equal(statusDescription(grade()), 'Score 70/100 (7/10 tests)');
  assert.equal(statusDescription(grade({ score: 63, latePenaltyPercent: 10 })), 'Score 63/100 (7/10 tests, late penalty 10%)');
  assert.equal(statusDescription(grade({ score: 2 / 3, maxScore: 1, passed: 1, total: 1 })), 'Score 0.7/1 (1/1 test)');
  assert.equal(statusDescription(grade({ score: 0, passed: 0, total: 0 })), 'Score 0/100 (no tests)');
});

test('limits and a missing report: label, detail, score', () => {
  assert.equal(statusDescription(grade({ verdict: 'time-limit', verdictMessage: '60 s', score: 0 })), 'Time limit exceeded (60 s) — 0/100');
  assert.equal(statusDescription(grade({ verdict: 'memory-limit', verdictMessage: null, score: 0 })), 'Memory limit exceeded — 0/100');
  assert.equal(statusDescription(grade({ verdict: 'no-report', verdictMessage: 'no junit.xml\nfound', score: 0 })), 'No test report (no junit.xml found) — 0/100');
});

test('system errors and rejections carry no score', () => {
  assert.equal(statusDescription(grade({ verdict: 'system-error', verdictMessage: 'runner lost' })), 'System error (runner lost) — not graded');
  assert.equal(statusDescription(grade({ verdict: 'rejected', verdictMessage: 'deadline passed' })), 'Not accepted (deadline passed)');
  assert.equal(statusDescription(grade({ verdict: 'rejected', verdictMessage: '   ' })), 'Not accepted');
});

test('a long detail is cut so the description stays within 255 characters and keeps its score', () => {
  const text = statusDescription(grade({ verdict: 'output-limit', verdictMessage: '😀'.repeat(400), score: 12.34 }));
  assert.equal([...text].length, 255);
  assert.ok(text.startsWith('Output limit exceeded (😀😀'));
  assert.ok(text.endsWith('😀…) — 12.3/100'), text.slice(-20));
});

test('commit state: success only when every test passed; our failures are not red', () => {
  assert.equal(commitState(grade({ passed: 10, total: 10, score: 100 })), 'success');
  assert.equal(commitState(grade({ passed: 10, total: 10, score: 90, latePenaltyPercent: 10 })), 'success');
  assert.equal(commitState(grade()), 'failed');
  assert.equal(commitState(grade({ passed: 0, total: 0, score: 0 })), 'failed');
  assert.equal(commitState(grade({ verdict: 'time-limit', passed: 10, total: 10 })), 'failed');
  assert.equal(commitState(grade({ verdict: 'no-report' })), 'failed');
  assert.equal(commitState(grade({ verdict: 'system-error' })), 'canceled');
  assert.equal(commitState(grade({ verdict: 'rejected' })), 'skipped');
});

test('the commit status is named gradeflow', () => {
  assert.equal(statusName(grade({ assignment: 'hw2' })), 'gradeflow');
});
