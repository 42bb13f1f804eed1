// Fetches and parses the test report a test.result event points at: JUnit XML files in the
// artifact store (local executor) or GitLab's pipeline test report (gitlab-ci executor).
import { AppError, errorCode, isRetryable } from '../errors/index.ts';
import type { TestResult } from '../events/index.ts';
import type { GitLabClient } from '../gitlab/index.ts';
import type { ArtifactStore } from '../storage/index.ts';
import { ReportParseError, mergeReports, parseGitLabTestReport, parseJUnitXml } from './junit/index.ts';
import type { ReportReading } from './outcome.ts';

export interface ReportSources {
  readonly artifacts: ArtifactStore;
  readonly gitlab: GitLabClient | null;
}

/** What the student is told when the report itself is missing or broken (details go to the log). */
const UNREADABLE_REASONS: Readonly<Record<string, string>> = {
  ARTIFACT_NOT_FOUND: 'the stored test report is missing',
  ARTIFACT_URI_INVALID: 'the test report location is invalid',
  GITLAB_REJECTED: 'GitLab has no test report for the pipeline',
  GITLAB_BAD_RESPONSE: 'GitLab answered with something that is not a test report',
};

/**
 * Resolves to the report, to "none", or to "unreadable" when the report is missing or broken
 * for good: that is graded as a system error. Throws what retrying or an operator can fix:
 * transient failures (retried), and GitLab not configured or refusing our credentials
 * (permanent: dead-lettered, re-driven once the configuration is fixed).
 */
export async function readReport(sources: ReportSources, source: TestResult['source'], onUnreadable?: (error: unknown) => void): Promise<ReportReading> {
  try {
    switch (source.kind) {
      case 'none':
        return { kind: 'none' };
      case 'junit':
        return source.reportUris.length === 0 ? { kind: 'none' } : { kind: 'report', report: await readJUnit(sources.artifacts, source.reportUris) };
      case 'gitlab':
        return { kind: 'report', report: await readGitLab(sources.gitlab, source.projectId, source.pipelineId) };
    }
  } catch (error) {
    if (isRetryable(error) || isConfigurationProblem(error)) throw error;
    onUnreadable?.(error);
    if (error instanceof ReportParseError) return { kind: 'unreadable', reason: error.message };
    return { kind: 'unreadable', reason: UNREADABLE_REASONS[errorCode(error)] ?? 'the test report could not be fetched' };
  }
}

async function readJUnit(artifacts: ArtifactStore, uris: readonly string[]) {
  const reports = [];
  // One at a time: a report can be 20 MiB, and a check has a handful of them at most.
  for (const uri of uris) reports.push(parseJUnitXml(await artifacts.get(uri)));
  return mergeReports(reports);
}

async function readGitLab(gitlab: GitLabClient | null, projectId: number | string, pipelineId: number) {
  if (gitlab === null) {
    throw new AppError('GITLAB_NOT_CONFIGURED', 'a gitlab-ci test result arrived but GITLAB_URL/GITLAB_TOKEN are not configured', { retryable: false });
  }
  return parseGitLabTestReport(await gitlab.getTestReport(projectId, pipelineId));
}

function isConfigurationProblem(error: unknown): boolean {
  const code = errorCode(error);
  if (code === 'GITLAB_NOT_CONFIGURED' || code === 'GITLAB_CONFIG') return true;
  const status = error instanceof AppError ? error.details['status'] : undefined;
  return code === 'GITLAB_REJECTED' && (status === 401 || status === 403);
}
