// The only way into the test-report parsers. Pure functions, no I/O: callers read
// the files or call the GitLab API and pass the contents here.
export { parseJUnitXml } from './junit-xml.ts';
export { parseGitLabTestReport } from './gitlab-test-report.ts';
export { mergeReports } from './merge-reports.ts';
export { parseTimeSeconds } from './time.ts';
export { ReportParseError } from './errors.ts';
export { DEFAULT_LIMITS } from './types.ts';
export type { ParseLimits, TestCaseResult, TestReport, TestStatus, TestTotals } from './types.ts';
