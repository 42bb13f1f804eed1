import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJUnitXml } from './index.ts';
import { findTest, readFixture } from './fixture-support.ts';

const read = readFixture;
const find = findTest;

describe('pytest.xml (xunit2, junit_logging=all)', () => {
  const report = parseJUnitXml(read('pytest.xml'));

  it('recounts 12 cases: 6 passed, 3 failed, 1 error, 2 skipped', () => {
    assert.deepEqual(report.totals, { tests: 12, passed: 6, failed: 3, errors: 1, skipped: 2 });
  });

  it('keeps escaped parametrize ids and raw unicode function names as written', () => {
    assert.equal(find(report, 'tests.test_grading.TestSlugify › test_unicode[umlaut-\\xe4-\\xf6-\\xfc]').status, 'passed');
    assert.equal(find(report, 'tests.test_grading.TestSlugify › test_unicode[\\u65e5\\u672c\\u8a9e]').status, 'passed');
    assert.equal(find(report, 'tests.test_grading.TestSlugify › test_unicode[emoji-\\U0001f389]').status, 'passed');
    assert.equal(find(report, 'tests.test_grading › test_größe_berechnen').status, 'passed');
  });

  it('maps a setup error to error and an exception in the body to failed', () => {
    const setup = find(report, 'tests.test_grading › test_error_in_setup');
    assert.equal(setup.status, 'error');
    assert.equal(setup.message, 'failed on setup with "RuntimeError: database connection refused in setup"');
    assert.match(setup.details ?? '', /^@pytest\.fixture\n/);
    const body = find(report, 'tests.test_grading › test_unexpected_exception');
    assert.deepEqual([body.status, body.message], ['failed', "KeyError: 'missing-key'"]);
  });

  it('reads skip and xfail, and the duplicated output of test_skipped does not matter', () => {
    const skip = find(report, 'tests.test_grading › test_skipped');
    assert.deepEqual([skip.status, skip.type, skip.message], ['skipped', 'pytest.skip', 'not implemented by student yet']);
    assert.equal(skip.details, '/builds/student/python-assignment/tests/test_grading.py:60: not implemented by student yet');
    const xfail = find(report, 'tests.test_grading › test_expected_failure');
    assert.deepEqual([xfail.status, xfail.type, xfail.message, xfail.details], ['skipped', 'pytest.xfail', 'known bug #12', null]);
  });

  it('decodes &#10; in messages and XML specials in bodies', () => {
    const test = find(report, 'tests.test_grading › test_xml_special_chars_in_output');
    assert.equal(test.status, 'failed');
    assert.equal(test.message, "AssertionError: message with <angle> & ampersand ]]> cdata-end\nassert 'a' == 'b'\n  \n  - b\n  + a");
    assert.match(test.details ?? '', /print\("<!\[CDATA\[ not really \]\]> & <tag> \\x1b\[31mred ansi\\x1b\[0m"\)/);
    assert.equal(find(report, 'tests.test_grading.TestSlugify › test_simple_words').timeSeconds, 0.004);
  });
});

describe('phpunit.xml (PHPUnit 9, suites nested 3 levels)', () => {
  const report = parseJUnitXml(read('phpunit.xml'));

  it('recounts 12 cases across all nesting levels: 6 passed, 2 failed, 2 errors, 2 skipped', () => {
    assert.deepEqual(report.totals, { tests: 12, passed: 6, failed: 2, errors: 2, skipped: 2 });
  });

  it('names each case after its innermost suite, down to the data-provider level', () => {
    const level3 = report.tests.filter((test) => test.suite === 'GradebookTest::testLetter');
    assert.equal(level3.length, 3);
    const failing = find(report, 'GradebookTest › testLetter with data set "70 <fails> & "quotes""');
    assert.equal(failing.suite, 'GradebookTest::testLetter');
    assert.equal(failing.status, 'failed');
    assert.equal(failing.type, 'PHPUnit\\Framework\\ExpectationFailedException');
    assert.equal(find(report, 'HelpersTest › testÜmlautMethodName').suite, 'HelpersTest');
  });

  it('counts a risky test as error, and incomplete as skipped', () => {
    const risky = find(report, 'GradebookTest › testRiskyNoAssertions');
    assert.deepEqual([risky.status, risky.type], ['error', 'PHPUnit\\Framework\\RiskyTestError']);
    assert.match(risky.details ?? '', /This test did not perform any assertions/);
    assert.equal(find(report, 'GradebookTest › testIncomplete').status, 'skipped');
  });

  it('reads file and six-decimal times from the test case', () => {
    const test = find(report, 'GradebookTest › testAverageOfEmptyList');
    assert.equal(test.status, 'error');
    assert.equal(test.type, 'DivisionByZeroError');
    assert.equal(test.file, '/builds/student/php-assignment/tests/GradebookTest.php');
    assert.equal(test.timeSeconds, 0.000166);
  });
});
