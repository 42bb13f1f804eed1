import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ReportParseError, parseGitLabTestReport } from './index.ts';

const GITLAB = join(import.meta.dirname, '../../../../shared/fixtures/gitlab');
const load = (name: string): unknown => JSON.parse(readFileSync(join(GITLAB, name), 'utf8'));

const withCases = (testCases: unknown[], extra: Record<string, unknown> = {}): unknown => ({
  test_suites: [{ name: 'rspec', total_count: 99, success_count: 99, test_cases: testCases, ...extra }],
});

describe('parseGitLabTestReport', () => {
  it('reads GitLab\'s documented example (test_report.json)', () => {
    const report = parseGitLabTestReport(load('test_report.json'));
    assert.deepEqual(report, {
      tests: [
        {
          suite: 'Secure',
          classname: 'vulnerability_management_spec',
          name: 'Security Reports can create an auto-remediation MR',
          fullName: 'vulnerability_management_spec › Security Reports can create an auto-remediation MR',
          status: 'passed',
          timeSeconds: 5,
          message: null,
          type: null,
          details: null,
          flaky: false,
          file: null,
        },
      ],
      totals: { tests: 1, passed: 1, failed: 0, errors: 0, skipped: 0 },
      suiteErrors: [],
    });
  });

  it('maps every status, recounts, and keeps output and stack trace', () => {
    const report = parseGitLabTestReport(
      withCases([
        { status: 'success', name: 'a', classname: 'C', execution_time: 0.5, system_output: null, stack_trace: null },
        { status: 'failed', name: 'b', classname: 'C', execution_time: 1, system_output: '\nexpected 1\ngot 2\n', stack_trace: 'at x.rb:3' },
        { status: 'error', name: 'c', classname: null, execution_time: null, system_output: 'boom', file: './spec/c_spec.rb' },
        { status: 'skipped', name: 'd', classname: 'C', execution_time: 0, system_output: 'pending', stack_trace: 'pending' },
      ]),
    );
    assert.deepEqual(report.totals, { tests: 4, passed: 1, failed: 1, errors: 1, skipped: 1 });
    const [, failed, error, skipped] = report.tests;
    assert.deepEqual([failed?.message, failed?.details], ['expected 1', 'expected 1\ngot 2\n\nat x.rb:3']);
    assert.deepEqual([error?.fullName, error?.timeSeconds, error?.file], ['c', null, './spec/c_spec.rb']);
    assert.equal(skipped?.details, 'pending');
  });

  it('turns suite_error into a suite error with no tests', () => {
    const report = parseGitLabTestReport({
      test_suites: [
        { name: 'unit', total_count: 0, test_cases: [], suite_error: 'JUnit XML parsing failed: 1:1: FATAL: Document is empty' },
        { name: 'lint', suite_error: 'JUnit data parsing failed: test case is missing name' },
      ],
    });
    assert.deepEqual(report.suiteErrors, [
      'unit: JUnit XML parsing failed: 1:1: FATAL: Document is empty',
      'lint: JUnit data parsing failed: test case is missing name',
    ]);
    assert.equal(report.totals.tests, 0);
  });

  it('refuses a test report summary, which has no test cases', () => {
    assert.throws(
      () => parseGitLabTestReport(load('test_report_summary.json')),
      (error: unknown) =>
        error instanceof ReportParseError &&
        /test_suites\[0\]\.test_cases is missing \(a test report summary has no test cases\)/.test(error.message),
    );
  });

  it('names the exact field of a wrong shape', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /test report must be an object, got null/],
      ['<testsuites/>', /test report must be an object, got "<testsuites\/>"/],
      [withCases([], { test_cases: 'none' }), /test_suites\[0\]\.test_cases must be an array, got "none"/],
      [{ test_suites: {} }, /test_suites must be an array, got object/],
      [withCases([{ status: 'passed', name: 'x' }]), /test_cases\[0\]\.status must be one of success, failed, error, skipped, got "passed"/],
      [withCases([{ status: 'success' }]), /test_cases\[0\]\.name must be a string, got undefined/],
      [withCases([{ status: 'success', name: 'x', execution_time: true }]), /execution_time must be a number, got boolean/],
      [withCases([{ status: 'success', name: 'x', system_output: ['a'] }]), /system_output must be a string, got an array/],
    ];
    for (const [input, pattern] of cases) {
      assert.throws(
        () => parseGitLabTestReport(input),
        (error: unknown) => error instanceof ReportParseError && error.code === 'REPORT_UNREADABLE' && pattern.test(error.message),
        String(pattern),
      );
    }
  });

  it('bounds long output', () => {
    const report = parseGitLabTestReport(
      withCases([{ status: 'failed', name: 'x', system_output: 'z'.repeat(500) }]),
      { maxTextChars: 10 },
    );
    assert.equal(report.tests[0]?.details, `${'z'.repeat(10)}\n… [490 more characters truncated]`);
  });
});
