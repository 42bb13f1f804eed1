// What the student sees on the commit: the status line (state from format-verdict.ts, text
// here) and the comment (format-comment.ts). Pure functions of a GradeSummary; import
// formatting from this file.
import { formatNumber, length, oneLine, testCount, truncate } from './format-text.ts';
import { VERDICT_LABELS } from './format-verdict.ts';
import type { GradeSummary } from './types.ts';

export { feedbackComment, MAX_TABLE_ROWS } from './format-comment.ts';
export { formatNumber } from './format-text.ts';
export { VERDICT_LABELS, commitState, statusName } from './format-verdict.ts';

/** GitLab's limit for a commit status description. */
export const STATUS_DESCRIPTION_LIMIT = 255;

/**
 * At most 255 characters:
 *   "Score 70/100 (7/10 tests)", "Score 63/100 (7/10 tests, late penalty 10%)",
 *   "Time limit exceeded (60 s) — 0/100", "System error (runner lost) — not graded",
 *   "Not accepted (deadline passed)".
 * The detail in parentheses is what gets cut when the whole would be too long.
 */
export function statusDescription(grade: GradeSummary): string {
  const score = `${formatNumber(grade.score)}/${formatNumber(grade.maxScore)}`;
  const label = VERDICT_LABELS[grade.verdict];
  switch (grade.verdict) {
    case 'graded': {
      const late = grade.latePenaltyPercent > 0 ? `, late penalty ${formatNumber(grade.latePenaltyPercent)}%` : '';
      return truncate(`Score ${score} (${testCount(grade.passed, grade.total)}${late})`, STATUS_DESCRIPTION_LIMIT);
    }
    case 'system-error':
      return withDetail(label, grade.verdictMessage, ' — not graded');
    case 'rejected':
      return withDetail(label, grade.verdictMessage, '');
    default:
      return withDetail(label, grade.verdictMessage, ` — ${score}`);
  }
}

function withDetail(label: string, detail: string | null, tail: string): string {
  const room = STATUS_DESCRIPTION_LIMIT - length(label) - length(tail) - ' ()'.length;
  const text = detail === null ? '' : truncate(oneLine(detail), room);
  return text === '' ? `${label}${tail}` : `${label} (${text})${tail}`;
}
