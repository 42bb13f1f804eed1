// Glossary
// - report: the result of one test run (one or more JUnit XML files, or GitLab's
//   pipeline test report), normalised into `TestReport`.
// - test case: one `<testcase>` element / one GitLab `test_cases[]` entry.
// - fullName: the identity of a test case used for grading weights and for
//   de-duplication; see `fullNameOf` in test-case.ts for how it is formed.
// - suite error: a whole suite could not run or be read (GitLab `suite_error`,
//   jest-junit "Test suite failed to run", an `<error>` on a `<testsuite>`).
// - flaky: the outcome differed between attempts of the same test (Surefire /
//   nextest retry elements), whatever the final status is.

export type TestStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface TestCaseResult {
  /** Name of the innermost enclosing suite ('' when there is none). */
  suite: string;
  classname: string;
  name: string;
  /** Stable identity for grading weights: `owner › name`, or `name` alone. */
  fullName: string;
  status: TestStatus;
  timeSeconds: number | null;
  /** The `message` attribute, else the first non-blank line of the body. */
  message: string | null;
  /** The `type` attribute of the deciding element (exception class, `pytest.xfail`, …). */
  type: string | null;
  /** Body text / stack trace of the deciding element, bounded in size. */
  details: string | null;
  flaky: boolean;
  file: string | null;
}

export interface TestTotals {
  tests: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
}

export interface TestReport {
  tests: TestCaseResult[];
  /** Always recounted from `tests`; the counts a tool writes are not trusted. */
  totals: TestTotals;
  suiteErrors: string[];
}

export interface ParseLimits {
  /** Documents larger than this (in UTF-8 bytes) are refused. Default 20 MiB. */
  maxBytes?: number;
  /** Element nesting deeper than this is refused. Default 64. */
  maxDepth?: number;
  /** `details` and `message` are cut to this many characters. Default 64 KiB. */
  maxTextChars?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<ParseLimits>> = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxDepth: 64,
  maxTextChars: 64 * 1024,
});
