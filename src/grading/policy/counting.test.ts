import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countingSubmission } from './counting.ts';
import type { GradeRecord } from './counting.ts';

const deadline = new Date('2026-12-01T12:00:00Z');
const t = (minutes: number) => new Date(deadline.getTime() + minutes * 60_000);
const g = (submissionId: string, score: number, submittedMin: number, gradedMin = submittedMin + 1): GradeRecord =>
  ({ submissionId, score, submittedAt: t(submittedMin), gradedAt: t(gradedMin) });

test('no grades: null for every policy', () => {
  for (const policy of ['best', 'last', 'lastBeforeDeadline'] as const) assert.equal(countingSubmission([], policy, deadline), null);
});

test('best: the highest score', () => {
  assert.equal(countingSubmission([g('a', 50, -30), g('b', 90, -20), g('c', 70, -10)], 'best', deadline), 'b');
});

test('best: ties go to the earliest submitted, whatever the input order', () => {
  const grades = [g('late', 80, -5), g('early', 80, -50), g('mid', 80, -20)];
  assert.equal(countingSubmission(grades, 'best', deadline), 'early');
  assert.equal(countingSubmission([...grades].reverse(), 'best', deadline), 'early');
});

test('best: a tie at the same instant goes to the smaller id, whatever the input order', () => {
  assert.equal(countingSubmission([g('y', 80, -5), g('x', 80, -5)], 'best', deadline), 'x');
  assert.equal(countingSubmission([g('x', 80, -5), g('y', 80, -5)], 'best', deadline), 'x');
});

test('last: the latest submitted, not the latest graded nor the best', () => {
  assert.equal(countingSubmission([g('a', 90, -30, 100), g('b', 10, -10, 5), g('c', 50, -20)], 'last', deadline), 'b');
});

test('last: a late submission counts too', () => {
  assert.equal(countingSubmission([g('a', 90, -30), g('b', 40, 60)], 'last', deadline), 'b');
});

test('lastBeforeDeadline: the latest at or before the deadline', () => {
  const grades = [g('a', 90, -30), g('at', 40, 0), g('late', 100, 1)];
  assert.equal(countingSubmission(grades, 'lastBeforeDeadline', deadline), 'at');
});

test('lastBeforeDeadline: only late ones -> the latest late one', () => {
  assert.equal(countingSubmission([g('l1', 90, 10), g('l2', 20, 30)], 'lastBeforeDeadline', deadline), 'l2');
});

test('a re-graded submission counts with its latest grading only', () => {
  // 'a' scored 95 first, was re-graded to 60 after a test fix: 'b' (70) is now best.
  const grades = [g('a', 60, -30, 200), g('a', 95, -30, 100), g('b', 70, -20)];
  assert.equal(countingSubmission(grades, 'best', deadline), 'b');
  assert.equal(countingSubmission([grades[1]!, grades[0]!, grades[2]!], 'best', deadline), 'b');
});
