import type { TestCaseResult, TestReport, TestStatus, TestTotals } from './types.ts';

/** The classname jest-junit gives the cases it writes for a file that could not load. */
export const JEST_SUITE_FAILED = 'Test suite failed to run';

/**
 * Identity of a test case for grading weights. The owner is the classname, or the
 * suite name when the tool writes no classname (nextest, gotestsum's `badmain`), so
 * equal test names in different binaries/packages stay distinct. The owner is left
 * out when it adds nothing: jest-junit writes classname = name, and
 * mocha-junit-reporter writes name = full title ending in classname = test title.
 */
export function fullNameOf(suite: string, classname: string, name: string): string {
  const owner = classname !== '' ? classname : suite;
  if (owner === '' || owner === name) return name;
  if (name === '') return owner;
  if (classname !== '' && name.endsWith(` ${classname}`)) return name;
  return `${owner} › ${name}`;
}

const ZERO: Readonly<TestTotals> = { tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0 };

const TOTAL_KEY: Readonly<Record<TestStatus, Exclude<keyof TestTotals, 'tests'>>> = {
  passed: 'passed',
  failed: 'failed',
  error: 'errors',
  skipped: 'skipped',
};

export function totalsOf(tests: readonly TestCaseResult[]): TestTotals {
  const totals = { ...ZERO };
  for (const test of tests) {
    totals.tests += 1;
    totals[TOTAL_KEY[test.status]] += 1;
  }
  return totals;
}

/** Builds a report whose totals always agree with its tests. */
export function makeReport(tests: TestCaseResult[], suiteErrors: readonly string[]): TestReport {
  return { tests, totals: totalsOf(tests), suiteErrors: [...new Set(suiteErrors)] };
}
