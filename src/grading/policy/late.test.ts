import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment } from '../../courses/types.ts';
import { applyLatePenalty, daysLate } from './late.ts';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const deadline = new Date('2026-12-01T20:59:00Z');
const at = (ms: number) => new Date(deadline.getTime() + ms);
const withLate = (perDay: number, cutoffMs = 3 * DAY): Pick<Assignment, 'deadline' | 'late'> =>
  ({ deadline, late: { penaltyPercentPerDay: perDay, cutoff: at(cutoffMs) } });

test('days late counts started 24-hour periods', () => {
  assert.equal(daysLate(at(-1), deadline), 0);
  assert.equal(daysLate(at(0), deadline), 0);
  assert.equal(daysLate(at(1), deadline), 1);
  assert.equal(daysLate(at(DAY), deadline), 1);
  assert.equal(daysLate(at(DAY + 1), deadline), 2);
});

test('exactly at the deadline: no penalty', () => {
  assert.deepEqual(applyLatePenalty(80, 100, at(0), withLate(10)), { score: 80, latePenaltyPercent: 0, late: false, daysLate: 0 });
});

test('1 ms after the deadline: one day of penalty, of the earned score', () => {
  assert.deepEqual(applyLatePenalty(80, 100, at(1), withLate(10)), { score: 72, latePenaltyPercent: 10, late: true, daysLate: 1 });
  // Of the earned score, not of maxScore: 40 loses 4, not 10.
  assert.equal(applyLatePenalty(40, 100, at(1), withLate(10)).score, 36);
});

test('24 h + 1 ms late is 2 days', () => {
  assert.deepEqual(applyLatePenalty(80, 100, at(DAY + 1), withLate(10)), { score: 64, latePenaltyPercent: 20, late: true, daysLate: 2 });
  assert.equal(applyLatePenalty(80, 100, at(DAY), withLate(10)).latePenaltyPercent, 10);
});

test('exactly at the cutoff: still graded with the penalty', () => {
  assert.deepEqual(applyLatePenalty(50, 100, at(3 * DAY), withLate(10)), { score: 35, latePenaltyPercent: 30, late: true, daysLate: 3 });
});

test('the penalty is capped at 100 %', () => {
  assert.deepEqual(applyLatePenalty(90, 100, at(3 * DAY), withLate(40)), { score: 0, latePenaltyPercent: 100, late: true, daysLate: 3 });
});

test('after the cutoff: 0 with penalty 100', () => {
  assert.deepEqual(applyLatePenalty(90, 100, at(3 * DAY + 1), withLate(10)), { score: 0, latePenaltyPercent: 100, late: true, daysLate: 4 });
});

test('late with no late policy: 0 with penalty 100; on time it is unchanged', () => {
  const noLate = { deadline, late: null };
  assert.deepEqual(applyLatePenalty(90, 100, at(1), noLate), { score: 0, latePenaltyPercent: 100, late: true, daysLate: 1 });
  assert.deepEqual(applyLatePenalty(90, 100, at(0), noLate), { score: 90, latePenaltyPercent: 0, late: false, daysLate: 0 });
});

test('a zero penalty still reports the submission as late', () => {
  assert.deepEqual(applyLatePenalty(90, 100, at(HOUR), withLate(0)), { score: 90, latePenaltyPercent: 0, late: true, daysLate: 1 });
});

test('fractional penalties are tidy and the score is rounded to 2 decimals', () => {
  const r = applyLatePenalty(66.67, 100, at(2 * DAY + 1), withLate(0.1));
  assert.equal(r.latePenaltyPercent, 0.3); // not 0.30000000000000004
  assert.equal(r.score, 66.47); // 66.67 × 0.997 = 66.46999
  assert.equal(applyLatePenalty(33.33, 100, at(1), withLate(15)).score, 28.33); // 28.3305
});

test('the input score is clamped into [0, maxScore]', () => {
  assert.equal(applyLatePenalty(120, 100, at(0), withLate(10)).score, 100);
  assert.equal(applyLatePenalty(-5, 100, at(1), withLate(10)).score, 0);
});
