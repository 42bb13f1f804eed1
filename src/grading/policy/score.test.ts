import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scoring } from '../../courses/types.ts';
import type { TestCaseResult, TestReport, TestStatus } from '../junit/types.ts';
import { round2 } from './rounding.ts';
import { scoreReport } from './score.ts';

function tc(name: string, status: TestStatus, owner = '', message: string | null = null): TestCaseResult {
  return {
    suite: '', classname: owner, name, fullName: owner === '' ? name : `${owner} › ${name}`,
    status, timeSeconds: null, message, type: null, details: null, flaky: false, file: null,
  };
}

function report(tests: TestCaseResult[], suiteErrors: string[] = []): TestReport {
  const count = (s: TestStatus) => tests.filter((t) => t.status === s).length;
  return {
    tests,
    totals: { tests: tests.length, passed: count('passed'), failed: count('failed'), errors: count('error'), skipped: count('skipped') },
    suiteErrors,
  };
}

const scoring = (weights: Record<string, number> = {}, def = 1, maxScore = 100): Scoring =>
  ({ maxScore, weights, default: def });

test('default points for unnamed tests; the score is scaled to maxScore', () => {
  const r = scoreReport(report([tc('a', 'passed'), tc('b', 'failed'), tc('c', 'passed'), tc('d', 'passed')]), scoring());
  assert.equal(r.score, 75);
  assert.equal(r.maxScore, 100);
  assert.equal(r.passed, 3);
  assert.equal(r.total, 4);
  assert.equal(r.verdict, 'scored');
});

test('weights in any unit are scaled: 1 of 4 points out of 10 is 2.5', () => {
  const r = scoreReport(report([tc('big', 'failed'), tc('small', 'passed')]), scoring({ big: 3 }, 1, 10));
  assert.equal(r.score, 2.5);
  assert.deepEqual(r.tests.map((t) => [t.name, t.points, t.maxPoints]), [['big', 0, 3], ['small', 1, 1]]);
});

test('scaling by another maxScore keeps the proportion', () => {
  const tests = [tc('x', 'passed'), tc('y', 'failed')];
  assert.equal(scoreReport(report(tests), scoring({ x: 30, y: 10 }, 1, 100)).score, 75);
  assert.equal(scoreReport(report(tests), scoring({ x: 3, y: 1 }, 1, 100)).score, 75);
  assert.equal(scoreReport(report(tests), scoring({ x: 3, y: 1 }, 1, 20)).score, 15);
});

test('the most specific pattern gives each test its weight', () => {
  const tests = [tc('sorts an empty array', 'passed', 'Sort'), tc('sorts big arrays', 'failed', 'Sort'), tc('other', 'passed', 'Sort')];
  const r = scoreReport(report(tests), scoring({ 'sorts an empty array': 10, 'sorts *': 30 }, 1));
  assert.deepEqual(r.tests.map((t) => t.maxPoints), [10, 30, 1]);
  assert.equal(r.score, round2((11 * 100) / 41));
  assert.equal(r.score, 26.83);
});

test('skipped tests earn 0 but stay in the total possible', () => {
  const r = scoreReport(report([tc('a', 'passed'), tc('b', 'skipped')]), scoring());
  assert.equal(r.score, 50);
  assert.equal(r.passed, 1);
  assert.equal(r.total, 2);
  assert.deepEqual(r.tests[1], { name: 'b', status: 'skipped', points: 0, maxPoints: 1, message: null });
});

test('errors earn 0 like failures; messages and fullNames are kept', () => {
  const r = scoreReport(report([tc('a', 'error', 'S', 'boom'), tc('b', 'failed', 'S', 'expected 1'), tc('c', 'passed', 'S')]), scoring());
  assert.equal(r.score, 33.33);
  assert.deepEqual(r.tests.map((t) => [t.name, t.status, t.points, t.message]),
    [['S › a', 'error', 0, 'boom'], ['S › b', 'failed', 0, 'expected 1'], ['S › c', 'passed', 1, null]]);
});

test('rounds once, at the end, to 2 decimals', () => {
  // Three tests of 1/3 point each: rounding per test (0.33 × 3) would give 99, not 100.
  const three = [tc('a', 'passed'), tc('b', 'passed'), tc('c', 'passed')];
  assert.equal(scoreReport(report(three), scoring({}, 1 / 3, 100)).score, 100);
  assert.equal(scoreReport(report([...three, tc('d', 'failed')]), scoring({}, 1, 2)).score, 1.5);
  // 2 of 3 out of 100 = 66.666… -> 66.67 (rounded, not truncated).
  assert.equal(scoreReport(report([tc('a', 'passed'), tc('b', 'passed'), tc('c', 'failed')]), scoring()).score, 66.67);
});

test('round2 rounds decimal halves up despite binary noise', () => {
  assert.equal(round2(1.005), 1.01);
  assert.equal(round2(0.125), 0.13);
  assert.equal(round2(2.675), 2.68);
  assert.equal(round2(7 / 10 * 100), 70);
  assert.equal(round2(33.334999), 33.33);
});

test('no tests: score 0 and verdict no-tests', () => {
  const r = scoreReport(report([]), scoring());
  assert.deepEqual({ score: r.score, passed: r.passed, total: r.total, verdict: r.verdict }, { score: 0, passed: 0, total: 0, verdict: 'no-tests' });
});

test('tests that all weigh 0: score 0 and verdict no-points (not NaN)', () => {
  const r = scoreReport(report([tc('a', 'passed')]), scoring({}, 0));
  assert.equal(r.score, 0);
  assert.equal(r.verdict, 'no-points');
});

test('a zero-weight test does not change the score', () => {
  const r = scoreReport(report([tc('a', 'passed'), tc('style', 'failed')]), scoring({ style: 0 }));
  assert.equal(r.score, 100);
});

test('suite errors mark the result incomplete', () => {
  assert.equal(scoreReport(report([tc('a', 'passed')], ['Sort: failed to compile']), scoring()).incomplete, true);
  assert.equal(scoreReport(report([tc('a', 'passed')]), scoring()).incomplete, false);
});
