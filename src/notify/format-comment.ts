// The Markdown comment a student reads under the commit or merge request: the score, what
// happened, and a table of tests with the ones that need attention first.
import { codeSpan, safeUrl } from './format-markdown.ts';
import { formatNumber, oneLine, truncate } from './format-text.ts';
import { VERDICT_LABELS, commitState } from './format-verdict.ts';
import type { GradedTest, GradedTestStatus, GradeSummary } from './types.ts';

/** Rows beyond this are summarised in one line; a long table buries the failures. */
export const MAX_TABLE_ROWS = 100;
const MAX_NAME_CHARS = 150;
const MAX_MESSAGE_CHARS = 200;

// Failed before errors: a failed assertion is the student's most direct lead.
const ORDER: Readonly<Record<GradedTestStatus, number>> = { failed: 0, error: 1, skipped: 2, passed: 3 };
const RESULT: Readonly<Record<GradedTestStatus, string>> = {
  failed: '❌ failed',
  error: '⚠️ error',
  skipped: '⏭️ skipped',
  passed: '✅ passed',
};
const HEADING_ICON = { success: '✅', failed: '❌', canceled: '⚠️', skipped: '⛔', pending: '⏳', running: '⏳' } as const;

export function feedbackComment(grade: GradeSummary): string {
  const blocks = [
    heading(grade),
    `Course ${codeSpan(grade.course)}, assignment ${codeSpan(grade.assignment)}, commit ${codeSpan(grade.commitSha.slice(0, 8))}`,
    ...verdictBlocks(grade),
    ...lateBlock(grade),
    ...testBlocks(grade.tests),
    ...linkBlock(grade.url),
  ];
  return `${blocks.join('\n\n')}\n`;
}

function heading(grade: GradeSummary): string {
  const icon = HEADING_ICON[commitState(grade)];
  if (grade.verdict === 'system-error') return `### ${icon} Not graded: system error`;
  if (grade.verdict === 'rejected') return `### ${icon} Not accepted`;
  return `### ${icon} Score: ${formatNumber(grade.score)}/${formatNumber(grade.maxScore)}`;
}

function verdictBlocks(grade: GradeSummary): string[] {
  const detail = grade.verdictMessage === null ? '' : codeSpan(truncate(oneLine(grade.verdictMessage), MAX_MESSAGE_CHARS));
  const passed = grade.total === 0 ? 'No tests were run.' : `${grade.passed} of ${grade.total} tests passed.`;
  switch (grade.verdict) {
    case 'graded':
      return [`**${passed}**`];
    case 'system-error':
      return [`The submission could not be graded because of a problem on our side, not in your code.${detail === '' ? '' : ` ${detail}`}`];
    case 'rejected':
      return [`This commit was not graded.${detail === '' ? '' : ` ${detail}`}`];
    default:
      return [`**${VERDICT_LABELS[grade.verdict]}**${detail === '' ? '' : `: ${detail}`}`, passed];
  }
}

function lateBlock(grade: GradeSummary): string[] {
  if (!(grade.latePenaltyPercent > 0)) return [];
  return [`**Late penalty:** ${formatNumber(grade.latePenaltyPercent)}% (already taken off the score above).`];
}

function testBlocks(tests: readonly GradedTest[]): string[] {
  if (tests.length === 0) return [];
  // Array.prototype.sort is stable: within a group the grader's order is kept.
  const sorted = [...tests].sort((a, b) => ORDER[a.status] - ORDER[b.status]);
  const rows = sorted.slice(0, MAX_TABLE_ROWS).map(row);
  const table = ['| Test | Result | Points | Message |', '| --- | --- | --- | --- |', ...rows].join('\n');
  const hidden = sorted.length - rows.length;
  return hidden > 0 ? [table, `…and ${hidden} more ${hidden === 1 ? 'test' : 'tests'} not shown.`] : [table];
}

function row(test: GradedTest): string {
  const name = codeSpan(truncate(oneLine(test.name), MAX_NAME_CHARS), true);
  const message = test.message === null ? '' : codeSpan(truncate(oneLine(test.message), MAX_MESSAGE_CHARS), true);
  // A test worth no points (counted, not weighted) shows a dash rather than "0/0".
  const points = test.maxPoints === 0 ? '—' : `${formatNumber(test.points)}/${formatNumber(test.maxPoints)}`;
  return `| ${name} | ${RESULT[test.status]} | ${points} | ${message} |`;
}

function linkBlock(url: string | null): string[] {
  const href = safeUrl(url);
  return href === null ? [] : [`[Open this submission in Gradeflow](${href})`];
}
