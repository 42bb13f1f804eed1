// Which of a student's graded submissions counts for the assignment.
import type { CountsPolicy } from '../../courses/types.ts';

export interface GradeRecord {
  readonly submissionId: string;
  /** The final score (after any late penalty). */
  readonly score: number;
  /** When the gateway received the push: the authoritative submission time. */
  readonly submittedAt: Date;
  readonly gradedAt: Date;
}

type Better = (a: GradeRecord, b: GradeRecord) => boolean;

/**
 * - best: highest score; ties go to the earliest submitted (the student reached
 *   that score first).
 * - last: latest submitted.
 * - lastBeforeDeadline: latest submitted at/before the deadline; when every
 *   submission is late, the latest late one (its score already carries the late
 *   penalty, and it is the student's only graded work).
 *
 * A submission graded more than once (re-grade) appears once per grading: only
 * its latest `gradedAt` counts. Remaining ties (same instant) go to the smaller
 * submissionId, so the answer never depends on the order rows were loaded in.
 * Returns null when there is no grade.
 */
export function countingSubmission(
  grades: readonly GradeRecord[], policy: CountsPolicy, deadline: Date,
): string | null {
  const current = latestGradings(grades);
  switch (policy) {
    case 'best':
      return pick(current, isHigherScore);
    case 'last':
      return pick(current, isLaterSubmitted);
    case 'lastBeforeDeadline': {
      const onTime = current.filter((g) => g.submittedAt.getTime() <= deadline.getTime());
      return pick(onTime.length > 0 ? onTime : current, isLaterSubmitted);
    }
  }
}

function latestGradings(grades: readonly GradeRecord[]): GradeRecord[] {
  const byId = new Map<string, GradeRecord>();
  for (const grade of grades) {
    const seen = byId.get(grade.submissionId);
    if (seen === undefined || grade.gradedAt.getTime() > seen.gradedAt.getTime()) byId.set(grade.submissionId, grade);
  }
  return [...byId.values()];
}

function pick(grades: readonly GradeRecord[], better: Better): string | null {
  let chosen: GradeRecord | null = null;
  for (const grade of grades) if (chosen === null || better(grade, chosen)) chosen = grade;
  return chosen?.submissionId ?? null;
}

const smallerId: Better = (a, b) => a.submissionId < b.submissionId;

const isHigherScore: Better = (a, b) => {
  if (a.score !== b.score) return a.score > b.score;
  const at = a.submittedAt.getTime() - b.submittedAt.getTime();
  return at !== 0 ? at < 0 : smallerId(a, b);
};

const isLaterSubmitted: Better = (a, b) => {
  const at = a.submittedAt.getTime() - b.submittedAt.getTime();
  return at !== 0 ? at > 0 : smallerId(a, b);
};
