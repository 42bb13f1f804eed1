import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJUnitXml } from './index.ts';
import { findTest, readFixture } from './fixture-support.ts';

const read = readFixture;
const find = findTest;

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('surefire.xml (bare <testsuite> root, JUnit 5 @Nested)', () => {
  const report = parseJUnitXml(read('surefire.xml'));

  it('recounts 10 cases: 5 passed, 3 failed, 1 error, 1 skipped', () => {
    assert.deepEqual(report.totals, { tests: 10, passed: 5, failed: 3, errors: 1, skipped: 1 });
    assert.deepEqual(report.suiteErrors, []);
  });

  it('keeps the outer and the nested class apart in fullName', () => {
    const nested = find(report, 'edu.course.lab3.GradebookTest$WhenCurved › curveAddsFivePoints');
    assert.equal(nested.status, 'passed');
    assert.equal(nested.suite, 'edu.course.lab3.GradebookTest$WhenCurved');
    const outer = find(report, 'edu.course.lab3.GradebookTest › averageOfIntegers');
    assert.equal(outer.suite, 'edu.course.lab3.GradebookTest$WhenCurved');
  });

  it('maps ArithmeticException to error with message, type and stack', () => {
    const test = find(report, 'edu.course.lab3.GradebookTest › averageOfEmptyListThrowsNothing');
    assert.equal(test.status, 'error');
    assert.equal(test.message, '/ by zero');
    assert.equal(test.type, 'java.lang.ArithmeticException');
    assert.match(test.details ?? '', /^java\.lang\.ArithmeticException: \/ by zero\n\tat edu/);
    assert.equal(test.timeSeconds, 0.002);
  });

  it('joins CDATA split as ]]]]><![CDATA[> back into ]]>', () => {
    const test = find(report, 'edu.course.lab3.GradebookTest › longMultilineFailureMessage');
    assert.equal(test.status, 'failed');
    const details = test.details ?? '';
    assert.equal(count(details, '<cell a="1"> & ]]> done'), 80);
    assert.equal(count(details, 'CDATA'), 0);
    assert.match(details, /\nrow thirty-one: <cell a="1"> & \]\]> done\n/);
    // The ~4.8 KB message attribute keeps its &#10; newlines.
    const message = test.message ?? '';
    assert.ok(message.startsWith('expected: <row 0: <cell a="1"> & ]]> done\nrow 1: '));
    assert.equal(count(message, ']]> done'), 80);
  });

  it('reads parameterized and unicode names, skip messages and "0.0" times', () => {
    assert.equal(find(report, 'edu.course.lab3.GradebookTest › letters(int, String)[3]').status, 'failed');
    assert.equal(find(report, 'edu.course.lab3.GradebookTest › letters(int, String)[1]').status, 'passed');
    const umlaut = find(report, 'edu.course.lab3.GradebookTest › prüfungMitUmlauten');
    assert.equal(umlaut.timeSeconds, 0);
    const skipped = find(report, 'edu.course.lab3.GradebookTest › disabledTest');
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.message, 'not graded this semester');
    assert.equal(skipped.details, null);
  });
});

describe('surefire-flaky.xml (passed on rerun)', () => {
  const report = parseJUnitXml(read('surefire-flaky.xml'));

  it('counts two passed cases although the suite says tests="1"', () => {
    assert.deepEqual(report.totals, { tests: 2, passed: 2, failed: 0, errors: 0, skipped: 0 });
  });

  it('treats flakyFailure/flakyError as information, not failure', () => {
    const flaky = find(report, 'org.acme.FlakyTest › testFlaky');
    assert.equal(flaky.status, 'passed');
    assert.equal(flaky.flaky, true);
    assert.equal(flaky.message, null);
    assert.equal(flaky.details, null);
    assert.equal(flaky.timeSeconds, 0.034);
    assert.equal(find(report, 'org.acme.FlakyTest › testStable').flaky, false);
  });
});

describe('gradle.xml (Gradle JUnitXmlResultWriter)', () => {
  const report = parseJUnitXml(read('gradle.xml'));

  it('recounts 5 cases: 2 passed, 1 failed, 2 skipped', () => {
    assert.deepEqual(report.totals, { tests: 5, passed: 2, failed: 1, errors: 0, skipped: 2 });
  });

  it('reads message, type and body of a failure', () => {
    const test = find(report, 'com.foo.FooTest › some failing test');
    assert.deepEqual(
      [test.status, test.message, test.type, test.details, test.timeSeconds],
      ['failed', 'failure message', 'ExceptionType', '[stack-trace]', 0.01],
    );
  });

  it('distinguishes a bare <skipped/> from an assumption failure', () => {
    const bare = find(report, 'com.foo.FooTest › some skipped test');
    assert.deepEqual([bare.status, bare.message, bare.type, bare.details], ['skipped', null, null, null]);
    const assumption = find(report, 'com.foo.FooTest › some assumption failure test');
    assert.equal(assumption.status, 'skipped');
    assert.equal(assumption.message, 'assumption failed');
    assert.equal(assumption.type, 'AssumptionViolationException');
    assert.equal(assumption.details, '[assumption-failure-stack-trace]');
  });

  it('reconstructs Gradle\'s "encodes xml" text: split CDATA plus &#x44d20; between sections', () => {
    // The fixture is the "writes xml JUnit result" output; the "encodes xml" snippet
    // from the same Gradle spec (quoted in the fixtures README) is embedded here.
    const xml =
      '<testsuite name="com.foo.FooTest"><testcase name="enc" classname="com.foo.FooTest" time="0.0">' +
      '<failure message="m" type="T"><![CDATA[with CDATA end token: ]]]]><![CDATA[> some ascii: ]]>' +
      '&#x44d20;<![CDATA[ż]]></failure></testcase></testsuite>';
    const test = find(parseJUnitXml(xml), 'com.foo.FooTest › enc');
    assert.equal(test.details, `with CDATA end token: ]]> some ascii: ${String.fromCodePoint(0x44d20)}ż`);
  });
});
