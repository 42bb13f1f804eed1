import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment } from '../courses/index.ts';
import { parseJUnitXml } from './junit/index.ts';
import { SYSTEM_ERROR_NOTE, gradeOutcome } from './outcome.ts';
import type { OutcomeInput, ReportReading } from './outcome.ts';

const ASSIGNMENT: Pick<Assignment, 'scoring' | 'deadline' | 'late'> = {
  scoring: { maxScore: 10, weights: { adds: 3 }, default: 1 },
  deadline: new Date('2026-12-01T00:00:00Z'),
  late: { penaltyPercentPerDay: 10, cutoff: new Date('2026-12-05T00:00:00Z') },
};

const XML = `<testsuites><testsuite name="math">
  <testcase classname="math" name="adds" time="0.25"/>
  <testcase classname="math" name="subtracts"><failure message="expected 1, got 2"/></testcase>
  <testcase classname="math" name="divides"><skipped/></testcase>
</testsuite></testsuites>`;

const report: ReportReading = { kind: 'report', report: parseJUnitXml(XML) };
const ON_TIME = new Date('2026-11-30T00:00:00Z');

function outcome(overrides: Partial<OutcomeInput>) {
  return gradeOutcome({ verdict: 'completed', message: '', reading: report, assignment: ASSIGNMENT, submittedAt: ON_TIME, ...overrides });
}

test('a completed run is scored by the weights; skipped tests still count in what was possible', () => {
  const o = outcome({});
  assert.equal(o.verdict, 'graded');
  // 3 of 3 + 1 + 1 points: 6 * 10 / 5 (in maxScore units).
  assert.deepEqual([o.score, o.rawScore, o.maxScore, o.latePenaltyPercent, o.passed, o.total], [6, 6, 10, 0, 1, 3]);
  assert.deepEqual(o.tests.map((t) => [t.name, t.status, t.points, t.maxPoints]), [
    ['math › adds', 'passed', 3, 3], ['math › subtracts', 'failed', 0, 1], ['math › divides', 'skipped', 0, 1],
  ]);
  assert.equal(o.tests[0]?.timeSeconds, 0.25);
  assert.equal(o.tests[1]?.message, 'expected 1, got 2');
  assert.equal(o.message, null);
});

test('a late submission loses the policy\'s percent of the earned score', () => {
  const o = outcome({ submittedAt: new Date('2026-12-02T12:00:00Z') });
  assert.deepEqual([o.verdict, o.rawScore, o.latePenaltyPercent, o.score], ['graded', 6, 20, 4.8]);
});

test('an unreadable report is a system error with score 0, never a zero-score grade', () => {
  const o = outcome({ reading: { kind: 'unreadable', reason: 'not a JUnit report' } });
  assert.deepEqual([o.verdict, o.score, o.tests.length], ['system-error', 0, 0]);
  assert.equal(o.message, `The test report could not be read: not a JUnit report. ${SYSTEM_ERROR_NOTE}`);
});

test('a completed run without a report is no-report with score 0', () => {
  const o = outcome({ reading: { kind: 'none' }, message: 'build failed: missing ;' });
  assert.deepEqual([o.verdict, o.score, o.message], ['no-report', 0, 'build failed: missing ;']);
});

test('a limit verdict scores 0 but still shows the tests that ran, with no points', () => {
  const o = outcome({ verdict: 'time-limit', message: 'stopped after 60 s', submittedAt: new Date('2026-12-02T00:00:00Z') });
  assert.deepEqual([o.verdict, o.score, o.rawScore, o.latePenaltyPercent, o.passed, o.total], ['time-limit', 0, 0, 0, 1, 3]);
  assert.deepEqual(o.tests.map((t) => [t.points, t.maxPoints]), [[0, 3], [0, 1], [0, 1]]);
  assert.equal(o.message, 'stopped after 60 s');
});

test('verdicts without a runner message get one the student can read', () => {
  for (const verdict of ['memory-limit', 'output-limit', 'process-limit', 'no-report', 'system-error'] as const) {
    const o = outcome({ verdict, reading: { kind: 'unreadable', reason: 'x' } });
    assert.equal(o.verdict, verdict);
    assert.ok((o.message ?? '').length > 10, verdict);
    assert.deepEqual(o.tests, []);
  }
});

test('suite errors and an empty report are explained in the message', () => {
  const broken = parseJUnitXml(`<testsuites><testsuite name="a"><error message="Cannot find module ./sort"/></testsuite>
    <testsuite name="b"><testcase name="ok"/></testsuite></testsuites>`);
  const o = outcome({ reading: { kind: 'report', report: broken } });
  assert.equal(o.verdict, 'graded');
  assert.match(o.message ?? '', /Some test suites could not run.*Cannot find module \.\/sort/);
  const empty = outcome({ reading: { kind: 'report', report: parseJUnitXml('<testsuites/>') } });
  assert.deepEqual([empty.verdict, empty.score, empty.message], ['graded', 0, 'The test report contains no tests.']);
});
