// From a finished check (the runner's verdict and the test report, if any) to what the student
// gets: verdict, score and per-test lines. Pure: the caller reads the report and passes instants.
// Glossary — reading: what became of fetching and parsing the report (a report, none at all,
// or unreadable); outcome: the grade before it has an identity.
import type { Assignment } from '../courses/index.ts';
import type { TestResult } from '../events/index.ts';
import type { TestReport } from './junit/index.ts';
import { applyLatePenalty, scoreReport } from './policy/index.ts';
import type { ScoreResult } from './policy/index.ts';

export type RunnerVerdict = TestResult['verdict'];
export type GradeVerdict = 'graded' | Exclude<RunnerVerdict, 'completed'>;

export type ReportReading =
  | { readonly kind: 'report'; readonly report: TestReport }
  | { readonly kind: 'none' }
  /** `reason` is shown to the student: it must not carry internals. */
  | { readonly kind: 'unreadable'; readonly reason: string };

export interface OutcomeTest {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'error' | 'skipped';
  readonly points: number;
  readonly maxPoints: number;
  readonly timeSeconds: number | null;
  readonly message: string | null;
}

export interface GradeOutcome {
  readonly verdict: GradeVerdict;
  readonly message: string | null;
  readonly score: number;
  readonly maxScore: number;
  /** Before the late penalty. */
  readonly rawScore: number;
  readonly latePenaltyPercent: number;
  readonly passed: number;
  readonly total: number;
  readonly tests: readonly OutcomeTest[];
}

export interface OutcomeInput {
  readonly verdict: RunnerVerdict;
  /** The runner's message ('' when it had nothing to say). */
  readonly message: string;
  readonly reading: ReportReading;
  readonly assignment: Pick<Assignment, 'scoring' | 'deadline' | 'late'>;
  readonly submittedAt: Date;
}

export const SYSTEM_ERROR_NOTE = 'This is a system error, not a problem with your submission; it does not cost an attempt.';

const DEFAULT_MESSAGES: Readonly<Record<GradeVerdict, string>> = {
  'graded': '',
  'time-limit': 'The tests were stopped: time limit exceeded.',
  'memory-limit': 'The tests were stopped: memory limit exceeded.',
  'output-limit': 'The tests were stopped: too much output.',
  'process-limit': 'The tests were stopped: too many processes.',
  'no-report': 'The check finished without a test report (did the code compile?).',
  'system-error': `The check failed on our side. ${SYSTEM_ERROR_NOTE}`,
};

/**
 * - completed + report: scored by the assignment's weights, then the late penalty;
 * - completed + unreadable report: `system-error`, score 0 — never a zero-score `graded`, which
 *   would tell the student their code failed every test;
 * - completed + no report: `no-report`, score 0;
 * - a limit, no-report or system-error verdict from the runner: score 0 with that verdict. A
 *   readable report is still shown test by test (points 0) so the student sees how far the run
 *   got; an unreadable one is ignored, the verdict already says what went wrong.
 */
export function gradeOutcome(input: OutcomeInput): GradeOutcome {
  const { reading, assignment } = input;
  if (input.verdict !== 'completed') {
    const scored = reading.kind === 'report' ? scoreReport(reading.report, assignment.scoring) : null;
    return zero(input.verdict, input.message, assignment.scoring.maxScore, scored, reading);
  }
  if (reading.kind === 'unreadable') {
    return zero('system-error', `The test report could not be read: ${reading.reason}. ${SYSTEM_ERROR_NOTE}`, assignment.scoring.maxScore, null, reading);
  }
  if (reading.kind === 'none') return zero('no-report', input.message, assignment.scoring.maxScore, null, reading);
  const scored = scoreReport(reading.report, assignment.scoring);
  const late = applyLatePenalty(scored.score, scored.maxScore, input.submittedAt, assignment);
  return {
    verdict: 'graded',
    message: joinMessages(input.message, scoreNote(scored, reading.report)),
    score: late.score,
    maxScore: scored.maxScore,
    rawScore: scored.score,
    latePenaltyPercent: late.latePenaltyPercent,
    passed: scored.passed,
    total: scored.total,
    tests: testsOf(scored, reading.report, false),
  };
}

function zero(verdict: GradeVerdict, message: string, maxScore: number, scored: ScoreResult | null, reading: ReportReading): GradeOutcome {
  return {
    verdict,
    message: message.trim() === '' ? DEFAULT_MESSAGES[verdict] : message.trim(),
    score: 0,
    maxScore,
    rawScore: 0,
    latePenaltyPercent: 0,
    passed: scored?.passed ?? 0,
    total: scored?.total ?? 0,
    tests: scored !== null && reading.kind === 'report' ? testsOf(scored, reading.report, true) : [],
  };
}

/** scoreReport keeps the report's order, so its tests line up with the report's by index. */
function testsOf(scored: ScoreResult, report: TestReport, noPoints: boolean): OutcomeTest[] {
  return scored.tests.map((test, i) => ({
    name: test.name,
    status: test.status,
    points: noPoints ? 0 : test.points,
    maxPoints: test.maxPoints,
    timeSeconds: report.tests[i]?.timeSeconds ?? null,
    message: test.message,
  }));
}

const MAX_SUITE_ERRORS_SHOWN = 3;

function scoreNote(scored: ScoreResult, report: TestReport): string {
  const notes: string[] = [];
  if (scored.verdict === 'no-tests') notes.push('The test report contains no tests.');
  if (scored.verdict === 'no-points') notes.push('No test carries points; please tell the course staff.');
  if (scored.incomplete) {
    const shown = report.suiteErrors.slice(0, MAX_SUITE_ERRORS_SHOWN).map((e) => e.split('\n')[0] ?? '').join('; ');
    const more = report.suiteErrors.length - MAX_SUITE_ERRORS_SHOWN;
    notes.push(`Some test suites could not run, so their tests are missing: ${shown}${more > 0 ? ` (and ${more} more)` : ''}.`);
  }
  return notes.join(' ');
}

function joinMessages(...parts: string[]): string | null {
  const text = parts.map((p) => p.trim()).filter((p) => p !== '').join(' ');
  return text === '' ? null : text;
}
