import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeReports, parseJUnitXml } from './index.ts';
import { findTest, readFixture } from './fixture-support.ts';

const read = readFixture;
const find = findTest;

describe('jest-junit.xml', () => {
  const report = parseJUnitXml(read('jest-junit.xml'));

  it('recounts 8 cases though tests="7": the todo case counts as passed', () => {
    assert.deepEqual(report.totals, { tests: 8, passed: 3, failed: 4, errors: 0, skipped: 1 });
    assert.equal(find(report, 'average() nested: with weights handles dropped lowest score').status, 'passed');
  });

  it('uses name alone as fullName because classname equals name', () => {
    const test = find(report, 'letter() — Noten für Schüler 🎓 maps 95 → "A" (ünïcödé name, 日本語)');
    assert.equal(test.classname, test.name);
    assert.equal(test.status, 'passed');
    assert.equal(test.timeSeconds, 0.002);
  });

  it('takes the message from the first line of a body-only <failure>', () => {
    const test = find(report, 'average() rejects non-arrays with a TypeError');
    assert.equal(test.status, 'failed');
    assert.equal(test.message, 'TypeError: scores must be an array');
    assert.equal(test.type, null);
    assert.match(test.details ?? '', /\n {4}at average \(\/builds\/student\/jest-assignment\/src\/grades\.js:2:37\)\n/);
    assert.equal(test.timeSeconds, 0);
  });

  it('unescapes names and bodies with XML specials', () => {
    const test = find(report, 'letter() — Noten für Schüler 🎓 escapes <xml> & "quotes" in names ]]>');
    assert.equal(test.status, 'failed');
    assert.match(test.details ?? '', /^Expected: "<b>&<\/b>"$/m);
    assert.match(test.details ?? '', /^Received: "<b>&amp;<\/b>"$/m);
  });

  it('marks the bare <skipped/> as skipped and leaves suite output out of details', () => {
    const skipped = find(report, 'average() nested: with weights applies per-assignment weights');
    assert.deepEqual([skipped.status, skipped.message, skipped.details], ['skipped', null, null]);
    assert.ok(report.tests.every((test) => !(test.details ?? '').includes('grading student jdoe')));
  });
});

describe('jest-junit-suite-errors.xml ("Test suite failed to run")', () => {
  const report = parseJUnitXml(read('jest-junit-suite-errors.xml'));
  const fullName = 'Test suite failed to run › __tests__/broken.test.js';

  it('reports the broken file as a suite error', () => {
    assert.deepEqual(report.suiteErrors, ['Test suite failed to run: __tests__/broken.test.js']);
  });

  it('keeps both cases jest-junit wrote (one error, one failure) despite tests="0"', () => {
    assert.deepEqual(report.totals, { tests: 2, passed: 0, failed: 1, errors: 1, skipped: 0 });
    const [first, second] = report.tests;
    assert.equal(first?.fullName, fullName);
    assert.equal(first?.status, 'error');
    assert.match(first?.details ?? '', /Cannot find module '\.\.\/src\/statistics' from '__tests__\/broken\.test\.js'/);
    assert.equal(second?.status, 'failed');
    assert.match(second?.message ?? '', /^\{"code":"MODULE_NOT_FOUND"/);
  });

  it('collapses to one failed test when de-duplicated', () => {
    const merged = mergeReports([report]);
    assert.deepEqual(merged.totals, { tests: 1, passed: 0, failed: 1, errors: 0, skipped: 0 });
    assert.deepEqual(merged.suiteErrors, report.suiteErrors);
  });
});

describe('mocha.xml (mocha-junit-reporter)', () => {
  const report = parseJUnitXml(read('mocha.xml'));

  it('recounts 8 cases (root says 9 with 1 skipped): 3 passed, 5 failed, no skip', () => {
    assert.deepEqual(report.totals, { tests: 8, passed: 3, failed: 5, errors: 0, skipped: 0 });
  });

  it('finds 2 cases in the suite that claims tests="3" and none in Root Suite', () => {
    assert.equal(report.tests.filter((test) => test.suite === 'edge cases — Grenzwerte 🎯').length, 2);
    assert.equal(report.tests.filter((test) => test.suite === 'Root Suite').length, 0);
  });

  it('uses the full title as fullName since classname is only the test title', () => {
    const test = find(report, 'letter() maps 85 to B');
    assert.equal(test.classname, 'maps 85 to B');
    assert.equal(test.status, 'failed');
    assert.equal(test.type, 'AssertionError');
    // Literal newlines in an attribute are normalised to spaces by XML itself.
    assert.equal(test.message, "Expected values to be strictly equal:  'B' !== 'C'");
    assert.match(test.details ?? '', /^AssertionError \[ERR_ASSERTION\]: Expected values to be strictly equal:\n\n'B' !== 'C'\n/);
  });

  it('inherits file from the suite and reports a hook failure as a failed case', () => {
    const hook = find(report, 'broken hook "before each" hook for "never runs"');
    assert.equal(hook.status, 'failed');
    assert.equal(hook.message, 'beforeEach blew up');
    assert.equal(hook.file, '/builds/student/mocha-assignment/test/grades.spec.js');
    assert.equal(find(report, 'async & hooks escapes <xml> & ]]> in titles').status, 'passed');
    assert.equal(find(report, 'async & hooks times out').timeSeconds, 0.051);
  });
});
