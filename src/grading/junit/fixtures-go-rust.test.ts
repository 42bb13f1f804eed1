import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJUnitXml } from './index.ts';
import { findTest, readFixture } from './fixture-support.ts';

const read = readFixture;
const find = findTest;

describe('go-junit-report.xml', () => {
  const report = parseJUnitXml(read('go-junit-report.xml'));

  it('recounts 5 cases: 2 passed, 1 failed, 2 skipped', () => {
    assert.deepEqual(report.totals, { tests: 5, passed: 2, failed: 1, errors: 0, skipped: 2 });
  });

  it('reads message="Failed" plus the CDATA log of a failure', () => {
    const test = find(report, 'package/fail › TestOne');
    assert.equal(test.status, 'failed');
    assert.equal(test.message, 'Failed');
    assert.equal(
      test.details,
      '    fail_test.go:6: Error message\n    fail_test.go:7: Longer\n        error\n        message.',
    );
    assert.equal(test.timeSeconds, 0.151);
  });

  it('reads skips with message and CDATA body; system-out is not details', () => {
    const skip = find(report, 'package/skip › TestSkipNow');
    assert.deepEqual([skip.status, skip.message, skip.details], ['skipped', 'Skipped', '    skip_test.go:10: log message']);
    const passLog = find(report, 'package/pass › TestPassLog');
    assert.deepEqual([passLog.status, passLog.details, passLog.timeSeconds], ['passed', null, 0.1]);
  });
});

describe('go-junit-report-subtests.xml', () => {
  const report = parseJUnitXml(read('go-junit-report-subtests.xml'));

  it('recounts 11 cases: 6 passed, 4 failed, 1 skipped', () => {
    assert.deepEqual(report.totals, { tests: 11, passed: 6, failed: 4, errors: 0, skipped: 1 });
  });

  it('keeps Go subtest names (Parent/Sub#01, nested a#1/b#1/c#1) verbatim', () => {
    assert.equal(find(report, 'package/subtests › TestSubtests/Subtest#01').status, 'failed');
    assert.equal(find(report, 'package/subtests › TestSubtests/Subtest#02').status, 'skipped');
    assert.equal(find(report, 'package/subtests › TestNestedSubtests/a#1/b#1/c#1').status, 'passed');
    const parent = find(report, 'package/subtests › TestFailingSubtestWithNestedSubtest');
    assert.deepEqual([parent.status, parent.message, parent.details], ['failed', 'Failed', null]);
    assert.equal(find(report, 'package/subtests › TestFailingSubtestWithNestedSubtest/Subtest/Subsubtest').status, 'passed');
  });
});

describe('gotestsum.xml', () => {
  const report = parseJUnitXml(read('gotestsum.xml'));
  const pkg = 'gotest.tools/gotestsum/testjson/internal';

  it('recounts 60 cases though tests="59" and errors="1" without any <error>', () => {
    assert.deepEqual(report.totals, { tests: 60, passed: 42, failed: 13, errors: 0, skipped: 5 });
  });

  it('finds the failing badmain case in a suite claiming tests="0", named by its suite', () => {
    const test = find(report, `${pkg}/badmain › TestMain`);
    assert.equal(test.classname, '');
    assert.equal(test.status, 'failed');
    assert.equal(test.message, 'Failed');
    assert.equal(test.type, null);
    assert.equal(test.details, `sometimes main can exit 2\nFAIL\t${pkg}/badmain\t0.001s`);
    assert.equal(test.timeSeconds, 0);
  });

  it('keeps same-named tests of different packages apart', () => {
    assert.equal(find(report, `${pkg}/good › TestParallelTheFirst`).status, 'passed');
    assert.equal(find(report, `${pkg}/parallelfails › TestParallelTheFirst`).status, 'failed');
    assert.equal(find(report, `${pkg}/good › TestParallelTheFirst`).timeSeconds, 0.01);
  });

  it('reads a skip whose log is only in the message attribute', () => {
    const test = find(report, `${pkg}/withfails › TestTimeout`);
    assert.equal(test.status, 'skipped');
    assert.equal(test.message, '=== RUN   TestTimeout\n    timeout_test.go:13: skipping slow test\n--- SKIP: TestTimeout (0.00s)');
    assert.equal(test.details, null);
  });
});

describe('nextest.xml (quick-junit)', () => {
  const report = parseJUnitXml(read('nextest.xml'));
  const status = (name: string): [string, boolean] => {
    const test = find(report, `testsuite0 › ${name}`);
    return [test.status, test.flaky];
  };

  it('recounts 8 cases: 3 passed, 3 failed, 1 error, 1 skipped', () => {
    assert.deepEqual(report.totals, { tests: 8, passed: 3, failed: 3, errors: 1, skipped: 1 });
  });

  it('does not count flaky*/rerun* elements as failures', () => {
    assert.deepEqual(status('testcase4'), ['passed', true]);
    // failed again on every retry: the final result is a failure, not flaky
    assert.deepEqual(status('testcase5'), ['failed', false]);
    // <failure> and <flakyFailure>: fails (configured to fail when flaky), and is flaky
    assert.deepEqual(status('testcase7'), ['failed', true]);
    const seven = find(report, 'testsuite0 › testcase7');
    assert.equal(seven.message, 'test passed on attempt 4/4 but is configured to fail when flaky');
    assert.equal(seven.type, 'flaky failure');
  });

  it('handles missing classname and missing time', () => {
    const zero = find(report, 'testsuite0 › testcase0');
    assert.deepEqual([zero.classname, zero.status, zero.timeSeconds, zero.details], ['', 'passed', null, null]);
    const three = find(report, 'testsuite0 › testcase3');
    assert.deepEqual([three.status, three.message, three.type, three.timeSeconds], ['skipped', 'skipped message', 'skipped type', null]);
    const two = find(report, 'testsuite0 › testcase2');
    assert.deepEqual([two.status, two.message, two.type, two.timeSeconds], ['error', 'testcase2 error description', 'error type', 421.58]);
    assert.equal(find(report, 'testsuite0 › testcase6').status, 'passed');
  });
});
