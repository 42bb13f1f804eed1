import { makeReport } from './test-case.ts';
import type { TestCaseResult, TestReport, TestStatus } from './types.ts';

// When the same test appears more than once (Surefire writes @Nested results into
// both class files; a job may upload overlapping reports), the worst result wins,
// so a passing duplicate can never hide a failure. A result that ran beats a skip.
const RANK: Readonly<Record<TestStatus, number>> = { failed: 3, error: 2, passed: 1, skipped: 0 };

/**
 * Combines the reports of one run (e.g. Surefire's one file per class) into one
 * report with unique fullNames, in order of first appearance.
 */
export function mergeReports(reports: readonly TestReport[]): TestReport {
  const byName = new Map<string, TestCaseResult>();
  for (const report of reports) {
    for (const test of report.tests) {
      const seen = byName.get(test.fullName);
      byName.set(test.fullName, seen === undefined ? test : pick(seen, test));
    }
  }
  return makeReport(
    [...byName.values()],
    reports.flatMap((report) => report.suiteErrors),
  );
}

function pick(seen: TestCaseResult, next: TestCaseResult): TestCaseResult {
  const winner = RANK[next.status] > RANK[seen.status] ? next : seen;
  const flaky = seen.flaky || next.flaky;
  return winner.flaky === flaky ? winner : { ...winner, flaky };
}
