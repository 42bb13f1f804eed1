// How a verdict shows on the commit. Commit state per verdict, chosen so that red means
// "your code needs work":
//   graded          success when every test passed (and there was at least one), else failed
//   *-limit,
//   no-report       failed: the student's run exceeded a limit or produced no report
//   system-error    canceled: our failure; a red "failed" would blame the student, and the
//                   description says "not graded"
//   rejected        skipped: the commit was not graded at all (e.g. after the deadline)
import type { CommitState } from '../gitlab/index.ts';
import type { GradeSummary, GradeVerdict } from './types.ts';

export const VERDICT_LABELS: Readonly<Record<GradeVerdict, string>> = {
  graded: 'Graded',
  'time-limit': 'Time limit exceeded',
  'memory-limit': 'Memory limit exceeded',
  'output-limit': 'Output limit exceeded',
  'process-limit': 'Process limit exceeded',
  'no-report': 'No test report',
  'system-error': 'System error',
  rejected: 'Not accepted',
};

/** The commit status name: one status line per assignment, so assignments sharing a repository do not overwrite each other. */
/** The commit status context GitLab shows: one name, as staff and students look for it. Each
 * student project belongs to one assignment, so statuses of assignments never share a commit. */
export function statusName(_grade: Pick<GradeSummary, 'assignment'>): string {
  return 'gradeflow';
}

export function commitState(grade: GradeSummary): CommitState {
  switch (grade.verdict) {
    case 'graded':
      return grade.total > 0 && grade.passed === grade.total ? 'success' : 'failed';
    case 'system-error':
      return 'canceled';
    case 'rejected':
      return 'skipped';
    default:
      return 'failed';
  }
}
