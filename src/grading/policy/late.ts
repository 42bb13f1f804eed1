// Late-submission penalty. Whether a late push is checked at all is decided at
// admission (src/pipeline/admission.ts); this function is still total so a grade
// recomputed later (re-grade, replay) can never come out better than allowed.
import type { Assignment } from '../../courses/types.ts';
import { round2, tidy } from './rounding.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface LatePenaltyResult {
  /** Rounded to 2 decimals. */
  readonly score: number;
  /** 0..100: the share of the earned score taken away. */
  readonly latePenaltyPercent: number;
  readonly late: boolean;
  /** Started 24-hour periods after the deadline; 0 when on time. */
  readonly daysLate: number;
}

/** Started 24-hour periods after the deadline: 1 ms late is 1 day, 24 h + 1 ms is 2. */
export function daysLate(submittedAt: Date, deadline: Date): number {
  const ms = submittedAt.getTime() - deadline.getTime();
  return ms <= 0 ? 0 : Math.ceil(ms / DAY_MS);
}

/**
 * The penalty is a percent of the EARNED score, not of maxScore: 10 %/day on a
 * 40/100 takes 4 points, not 10, so a late but weak submission is not wiped out
 * faster than a strong one, and the score never goes below 0.
 *
 * On time (at or before the deadline): unchanged. Late but at/before the cutoff:
 * penaltyPercentPerDay × daysLate, capped at 100. After the cutoff, or late with
 * no late policy: 0 with penalty 100 (not gradable; admission refuses these).
 * The input score is clamped into [0, maxScore] so a bad caller cannot produce
 * an out-of-range grade.
 */
export function applyLatePenalty(
  score: number, maxScore: number, submittedAt: Date,
  assignment: Pick<Assignment, 'deadline' | 'late'>,
): LatePenaltyResult {
  const base = Math.min(Math.max(score, 0), maxScore);
  const days = daysLate(submittedAt, assignment.deadline);
  if (days === 0) return { score: round2(base), latePenaltyPercent: 0, late: false, daysLate: 0 };
  const late = assignment.late;
  if (late === null || submittedAt.getTime() > late.cutoff.getTime()) {
    return { score: 0, latePenaltyPercent: 100, late: true, daysLate: days };
  }
  const percent = Math.min(100, tidy(late.penaltyPercentPerDay * days));
  return { score: round2((base * (100 - percent)) / 100), latePenaltyPercent: percent, late: true, daysLate: days };
}
