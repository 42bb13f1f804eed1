// GitLab's pipeline test report (GET /projects/:id/pipelines/:pipeline_id/test_report),
// already parsed from JUnit by GitLab. Shape from app/serializers/test_suite_entity.rb
// and test_case_entity.rb; see the fixtures README.

import { ReportParseError } from './errors.ts';
import { fullNameOf, makeReport } from './test-case.ts';
import { bound, firstLine, tidy } from './text.ts';
import { finite, parseTimeSeconds } from './time.ts';
import { DEFAULT_LIMITS } from './types.ts';
import type { ParseLimits, TestCaseResult, TestReport, TestStatus } from './types.ts';

type Json = Readonly<Record<string, unknown>>;

const STATUSES: Readonly<Record<string, TestStatus>> = {
  success: 'passed',
  failed: 'failed',
  error: 'error',
  skipped: 'skipped',
};

/**
 * Converts GitLab's test report JSON. Counts in the JSON are ignored and recounted;
 * `suite_error` (GitLab could not parse a JUnit artifact) becomes a suite error.
 * @throws ReportParseError when the value does not have the documented shape.
 */
export function parseGitLabTestReport(json: unknown, limits: ParseLimits = {}): TestReport {
  const maxTextChars = limits.maxTextChars ?? DEFAULT_LIMITS.maxTextChars;
  const root = object(json, 'test report');
  const suites = root['test_suites'];
  if (!Array.isArray(suites)) fail('test_suites', 'an array', suites);
  const tests: TestCaseResult[] = [];
  const suiteErrors: string[] = [];
  suites.forEach((value: unknown, index) => {
    const path = `test_suites[${index}]`;
    const suite = object(value, path);
    const name = string(suite, 'name', path) ?? '';
    const suiteError = tidy(string(suite, 'suite_error', path) ?? '');
    if (suiteError !== null) suiteErrors.push(name === '' ? suiteError : `${name}: ${suiteError}`);
    const cases = suite['test_cases'];
    // Without test_cases this is a summary (test_report_summary), which cannot be
    // graded per test; taking it as "no tests" would look like an empty pass.
    if (cases === undefined && suiteError !== null) return;
    if (cases === undefined) {
      throw new ReportParseError(
        `not a GitLab test report: ${path}.test_cases is missing (a test report summary has no test cases)`,
      );
    }
    if (!Array.isArray(cases)) fail(`${path}.test_cases`, 'an array', cases);
    cases.forEach((item: unknown, i) => {
      tests.push(testCase(item, `${path}.test_cases[${i}]`, name, maxTextChars));
    });
  });
  return makeReport(tests, suiteErrors);
}

function testCase(value: unknown, path: string, suite: string, maxText: number): TestCaseResult {
  const item = object(value, path);
  const rawStatus = item['status'];
  const status = typeof rawStatus === 'string' ? STATUSES[rawStatus] : undefined;
  if (status === undefined) fail(`${path}.status`, 'one of success, failed, error, skipped', rawStatus);
  const name = string(item, 'name', path);
  if (name === null) fail(`${path}.name`, 'a string', item['name']);
  const classname = string(item, 'classname', path) ?? '';
  const details = detailsOf(item, path, maxText);
  return {
    suite,
    classname,
    name,
    // The suite here is the CI job name, which is not part of a test's identity
    // (renaming the job must not change which weight a test gets).
    fullName: fullNameOf('', classname, name),
    status,
    timeSeconds: timeOf(item['execution_time'], `${path}.execution_time`),
    message: status === 'passed' ? null : firstLine(details),
    type: null,
    details,
    flaky: false,
    file: string(item, 'file', path),
  };
}

function detailsOf(item: Json, path: string, maxText: number): string | null {
  const output = tidy(string(item, 'system_output', path) ?? '');
  const stack = tidy(string(item, 'stack_trace', path) ?? '');
  const parts = [output, stack].filter((part): part is string => part !== null);
  const joined = [...new Set(parts)].join('\n\n');
  return joined === '' ? null : bound(joined, maxText);
}

function timeOf(value: unknown, path: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return finite(value);
  if (typeof value === 'string') return parseTimeSeconds(value);
  return fail(path, 'a number', value);
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(path, 'an object', value);
  }
  return value as Json;
}

/** A string field; null when absent or null; anything else is a shape error. */
function string(obj: Json, key: string, path: string): string | null {
  const value = obj[key];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  return fail(`${path}.${key}`, 'a string', value);
}

function fail(path: string, expected: string, got: unknown): never {
  const actual =
    got === null ? 'null'
    : Array.isArray(got) ? 'an array'
    : typeof got === 'string' ? JSON.stringify(got.slice(0, 60))
    : typeof got;
  throw new ReportParseError(`not a GitLab test report: ${path} must be ${expected}, got ${actual}`);
}
