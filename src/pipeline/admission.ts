// Whether a push becomes a submission to check. Pure: every instant comes in
// with the input. The submission time is `pushedAt`, when the gateway received
// the push — never the commit's author/committer date, which students can forge.
//
// Rules are checked in this order; the first that refuses gives the reason:
//   1. branch — a push elsewhere (or a tag) is not a submission at all, so
//      nothing else about it is worth telling;
//   2. not-checked — the assignment has no check, whatever the time;
//   3. opens, 4. deadline/cutoff — a time rule is final; a duplicate or an
//      attempt limit would send the student to retry for nothing;
//   5. duplicate commit — before the limits, because re-pushing a checked
//      commit uses no attempt and must not be reported as "limit reached";
//   6. total limit, then hourly limit — when both are hit, waiting an hour does
//      not help, so "next attempt at 14:05" would be a false promise.
// A regrade (staff re-checking an already recorded submission) skips 5 and 6:
// its commit is checked by definition and it is not a student's attempt. The
// caller passes the ORIGINAL pushedAt, so the time rules give the same answer.
import type { Assignment, CountsPolicy } from '../courses/types.ts';

const HOUR_MS = 60 * 60 * 1000;

export type Priority = 'exam' | 'normal' | 'regrade';

export type RefusalReason =
  | 'wrong-branch' | 'not-checked' | 'not-open' | 'after-deadline' | 'after-cutoff'
  | 'duplicate-commit' | 'attempt-limit-total' | 'attempt-limit-hour';

export type AdmissionDecision =
  | { readonly admit: true; readonly priority: Priority; readonly late: boolean }
  | { readonly admit: false; readonly reason: RefusalReason; readonly message: string };

export interface AdmissionHistory {
  /** Commits of this student+assignment already checked. */
  readonly checkedCommits: ReadonlySet<string>;
  /** Checks already counted as attempts (all time). */
  readonly attemptsTotal: number;
  /**
   * When counted attempts were made. At least those of the last hour are needed;
   * older ones may be left out. Times come in as data (not a count) so the
   * refusal can say when the next attempt becomes possible.
   */
  readonly attemptTimes: readonly Date[];
}

export interface AdmissionInput {
  readonly assignment: Assignment;
  /** Branch of the push ref; null for tags. */
  readonly branch: string | null;
  /** The project's default branch, when known. */
  readonly defaultBranch: string | null;
  readonly commitSha: string;
  /** When the gateway received the push: the authoritative submission time. */
  readonly pushedAt: Date;
  readonly history: AdmissionHistory;
  readonly regrade?: boolean;
}

type Refusal = Extract<AdmissionDecision, { admit: false }>;

export function admitPush(input: AdmissionInput): AdmissionDecision {
  const { assignment } = input;
  const regrade = input.regrade === true;
  const refusal = branchRule(input) ?? checkRule(assignment) ?? timeRule(assignment, input.pushedAt)
    ?? (regrade ? null : duplicateRule(input) ?? attemptRule(assignment, input.pushedAt, input.history));
  if (refusal !== null) return refusal;
  return { admit: true, priority: priorityOf(assignment, regrade), late: input.pushedAt > assignment.deadline };
}

/** Exam work first; regrades last, so bulk re-checks never hold up live students. */
export function priorityOf(assignment: Pick<Assignment, 'exam'>, regrade = false): Priority {
  if (regrade) return 'regrade';
  return assignment.exam ? 'exam' : 'normal';
}

/** The branch whose pushes are submissions. */
export function submissionBranch(assignment: Pick<Assignment, 'branch'>, defaultBranch: string | null): string {
  return assignment.branch ?? defaultBranch ?? 'main';
}

/**
 * Whether a newer queued push of the same student+assignment makes an older
 * queued one pointless: true when only the latest submission can count.
 * For lastBeforeDeadline that holds only when both pushes are on the same side
 * of the deadline — an on-time push is what counts once later ones are late.
 * Without `times` the answer is the policy-level one (true); pass the times
 * whenever they are known.
 */
export function supersedes(
  policy: CountsPolicy,
  times?: { readonly older: Date; readonly newer: Date; readonly deadline: Date },
): boolean {
  if (policy === 'best') return false;
  if (policy === 'last' || times === undefined) return true;
  return (times.older <= times.deadline) === (times.newer <= times.deadline);
}

function refuse(reason: RefusalReason, message: string): Refusal {
  return { admit: false, reason, message };
}

function branchRule(input: AdmissionInput): Refusal | null {
  const expected = submissionBranch(input.assignment, input.defaultBranch);
  if (input.branch === expected) return null;
  const what = input.branch === null ? 'Tags are' : `Pushes to \`${input.branch}\` are`;
  return refuse('wrong-branch', `${what} not submissions: push to \`${expected}\`.`);
}

function checkRule(assignment: Assignment): Refusal | null {
  if (assignment.check !== null) return null;
  return refuse('not-checked', `\`${assignment.slug}\` has no automatic check: pushes are recorded but not checked.`);
}

function timeRule(assignment: Assignment, pushedAt: Date): Refusal | null {
  if (assignment.opens !== null && pushedAt < assignment.opens) {
    return refuse('not-open', `\`${assignment.slug}\` opens at ${formatUtc(assignment.opens)}: pushes before then are not submissions.`);
  }
  if (pushedAt <= assignment.deadline) return null;
  const late = assignment.late;
  if (late === null) {
    return refuse('after-deadline', `The deadline (${formatUtc(assignment.deadline)}) has passed and late submissions are not accepted.`);
  }
  if (pushedAt > late.cutoff) {
    return refuse('after-cutoff', `The late-submission cutoff (${formatUtc(late.cutoff)}) has passed: this push is not graded.`);
  }
  return null;
}

function duplicateRule(input: AdmissionInput): Refusal | null {
  if (!input.history.checkedCommits.has(input.commitSha)) return null;
  return refuse('duplicate-commit',
    `Commit ${input.commitSha.slice(0, 8)} was already checked: push a new commit to be checked again.`);
}

function attemptRule(assignment: Assignment, pushedAt: Date, history: AdmissionHistory): Refusal | null {
  const { max, perHour } = assignment.attempts;
  if (max !== null && history.attemptsTotal >= max) {
    return refuse('attempt-limit-total', `Attempt limit reached: all ${max} checks of \`${assignment.slug}\` are used.`);
  }
  if (perHour === null) return null;
  const inWindow = attemptsInLastHour(history.attemptTimes, pushedAt);
  if (inWindow.length < perHour) return null;
  // Once this one leaves the window, fewer than perHour attempts remain in it.
  const oldestToExpire = inWindow[inWindow.length - perHour] ?? pushedAt;
  const nextAt = new Date(oldestToExpire.getTime() + HOUR_MS);
  return refuse('attempt-limit-hour', `Attempt limit reached: ${perHour} checks in the last hour; `
    + `next attempt possible at ${formatUtc(nextAt, pushedAt)}.`);
}

/**
 * Attempts in the hour before pushedAt, oldest first. The window is
 * (pushedAt − 60 min, pushedAt]: an attempt exactly 60 minutes old no longer
 * counts, so "next attempt at T" means a push at T is admitted.
 */
export function attemptsInLastHour(times: readonly Date[], pushedAt: Date): Date[] {
  const from = pushedAt.getTime() - HOUR_MS;
  return times
    .filter((time) => time.getTime() > from && time.getTime() <= pushedAt.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
}

/**
 * "14:05 UTC", with the date when it is not the day of `today` (or no day is
 * given). Rounded UP to the minute: showing 14:04 for 14:04:30 would send the
 * student to push too early.
 */
export function formatUtc(time: Date, today?: Date): string {
  const up = new Date(Math.ceil(time.getTime() / 60_000) * 60_000).toISOString();
  const day = up.slice(0, 10);
  const clock = `${up.slice(11, 16)} UTC`;
  return today !== undefined && today.toISOString().slice(0, 10) === day ? clock : `${day} ${clock}`;
}
