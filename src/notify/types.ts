// What the grading stage produces for one graded (or not gradable) submission, and what the
// notify stage turns into a commit status and a comment the student reads.

export const GRADE_VERDICTS = [
  'graded', 'time-limit', 'memory-limit', 'output-limit', 'process-limit', 'no-report', 'system-error', 'rejected',
] as const;

/**
 * - graded: tests ran and were scored;
 * - time-/memory-/output-/process-limit: the run was stopped for exceeding a limit;
 * - no-report: the run ended without a test report to grade;
 * - system-error: our side failed (sandbox, runner, GitLab); the student did nothing wrong;
 * - rejected: not accepted for grading (deadline passed, attempt limit reached, ...).
 */
export type GradeVerdict = (typeof GRADE_VERDICTS)[number];

export type GradedTestStatus = 'passed' | 'failed' | 'error' | 'skipped';

export interface GradedTest {
  readonly name: string;
  readonly status: GradedTestStatus;
  readonly points: number;
  readonly maxPoints: number;
  readonly message: string | null;
}

export interface GradeSummary {
  readonly submissionId: string;
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly commitSha: string;
  /** After the late penalty, if any. */
  readonly score: number;
  readonly maxScore: number;
  readonly passed: number;
  readonly total: number;
  readonly verdict: GradeVerdict;
  /** A short detail for the verdict ("60 s", "deadline passed"); shown in parentheses. */
  readonly verdictMessage: string | null;
  /** 0 when on time; 10 means 10 % was taken off. */
  readonly latePenaltyPercent: number;
  readonly tests: readonly GradedTest[];
  /** The submission's page in Gradeflow, linked from the comment and the status. */
  readonly url: string | null;
}
