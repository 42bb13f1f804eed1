/**
 * Named queries of the notify stage: the idempotency record of notifications (one row per
 * key and channel), what a grade notification shows (the grade and its tests), where it goes
 * (the submission's project, commit and branch), and the "student was told" stamp.
 */
import type { Queryable } from './database.ts';

/** Where a notification went: GitLab's commit status line, its comment, e-mail, chat webhook. */
export type NotificationChannel = 'gitlab-status' | 'gitlab-comment' | 'email' | 'webhook' | 'suppressed';

/** `detail` of a claim whose send has not finished (yet, or ever: see claimNotification). */
export const CLAIMED_DETAIL = 'claimed';

/** How long a claim holds before another delivery may take it over: a sender killed between
 * claiming and recording (SIGKILL, a lost machine) must not keep the student untold for good.
 * Longer than a send takes (GitLab calls time out at 30 s, and a crash-free sender records its
 * result at once); shorter than the retry schedule of the group (about 4 minutes in all). */
export const CLAIM_LEASE_MS = 120_000;

/** claimed: the caller must send. sent: done before. in-progress: another delivery holds a
 * claim younger than the lease (it is sending now, or died doing so: try again later). */
export type ClaimResult = 'claimed' | 'sent' | 'in-progress';

/**
 * Claims (key, channel) for the caller. A row stays `claimed`, stamped with the time of the
 * claim, until completeNotification records what was sent. A claim older than the lease is
 * taken over atomically (its sender is gone), so a notification is never left unsent: in the
 * one window left, a sender killed after the send and before recording it, the takeover sends
 * it a second time — a duplicate rather than a student never told.
 */
export async function claimNotification(db: Queryable, key: string, channel: NotificationChannel, leaseMs = CLAIM_LEASE_MS): Promise<ClaimResult> {
  const { rows } = await db.query<{ key: string }>(
    `INSERT INTO notifications (key, channel, detail) VALUES ($1, $2, $3)
     ON CONFLICT (key, channel) DO UPDATE SET sent_at = now()
       WHERE notifications.detail = $3 AND notifications.sent_at < now() - $4::double precision * interval '1 millisecond'
     RETURNING key`,
    [key, channel, CLAIMED_DETAIL, leaseMs],
  );
  if (rows.length === 1) return 'claimed';
  const held = await db.query<{ detail: string | null }>('SELECT detail FROM notifications WHERE key = $1 AND channel = $2', [key, channel]);
  // Released between the two statements: the caller's retry claims it.
  return held.rows[0]?.detail === CLAIMED_DETAIL || held.rows.length === 0 ? 'in-progress' : 'sent';
}

/** Records what was sent (a merge request note, a dropped status, ...) once the send succeeded. */
export async function completeNotification(db: Queryable, key: string, channel: NotificationChannel, detail: string): Promise<void> {
  await db.query('UPDATE notifications SET detail = $3, sent_at = now() WHERE key = $1 AND channel = $2', [key, channel, detail]);
}

/** Gives a claim back after a failed send, so that the retry of the message can send. */
export async function releaseNotification(db: Queryable, key: string, channel: NotificationChannel): Promise<void> {
  await db.query('DELETE FROM notifications WHERE key = $1 AND channel = $2', [key, channel]);
}

export interface NotificationRecord {
  readonly channel: string;
  readonly detail: string | null;
  readonly sentAt: Date;
}

export async function listNotifications(db: Queryable, key: string): Promise<NotificationRecord[]> {
  const { rows } = await db.query<{ channel: string; detail: string | null; sent_at: Date }>(
    'SELECT channel, detail, sent_at FROM notifications WHERE key = $1 ORDER BY channel',
    [key],
  );
  return rows.map((row) => ({ channel: row.channel, detail: row.detail, sentAt: row.sent_at }));
}

/** The submission a notification is about: where in GitLab it goes, and how far it got. */
export interface NotifyTarget {
  readonly submissionId: string;
  readonly projectId: number;
  readonly commitSha: string;
  /** The pushed branch (from the decision, else from refs/heads/...); null for a tag. */
  readonly branch: string | null;
  readonly gradedAt: Date | null;
  readonly notifiedAt: Date | null;
}

interface TargetRow {
  id: string;
  project_id: string;
  commit_sha: string;
  branch: string | null;
  ref: string;
  graded_at: Date | null;
  notified_at: Date | null;
}

export async function findNotifyTarget(db: Queryable, submissionId: string): Promise<NotifyTarget | null> {
  const { rows } = await db.query<TargetRow>(
    'SELECT id, project_id, commit_sha, branch, ref, graded_at, notified_at FROM submissions WHERE id = $1',
    [submissionId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const branch = row.branch ?? (row.ref.startsWith('refs/heads/') ? row.ref.slice('refs/heads/'.length) : null);
  return {
    submissionId: row.id, projectId: Number(row.project_id), commitSha: row.commit_sha, branch,
    gradedAt: row.graded_at, notifiedAt: row.notified_at,
  };
}

/**
 * Stamps notified_at once. The status stays what grading made it ('graded'): "notified" is
 * a fact about the student being told, not a new state of the work.
 */
export async function stampNotified(db: Queryable, submissionId: string, at: Date): Promise<void> {
  await db.query('UPDATE submissions SET notified_at = COALESCE(notified_at, $2) WHERE id = $1', [submissionId, at]);
}

export interface StoredTest {
  readonly name: string;
  readonly status: 'passed' | 'failed' | 'error' | 'skipped';
  readonly points: number;
  readonly maxPoints: number;
  readonly message: string | null;
}

export interface StoredGrade {
  readonly id: string;
  readonly submissionId: string;
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly score: number;
  readonly maxScore: number;
  readonly latePenaltyPercent: number;
  readonly passed: number;
  readonly total: number;
  readonly verdict: string;
  readonly message: string | null;
  /** In the grader's order (test_results.position). */
  readonly tests: readonly StoredTest[];
}

interface GradeRow {
  id: string;
  submission_id: string;
  course: string;
  assignment: string;
  student: string;
  score: number;
  max_score: number;
  late_penalty_percent: number;
  passed: number;
  total: number;
  verdict: string;
  message: string | null;
}

/** A grade with its tests, or null when there is no such grade. */
export async function loadGradeForNotice(db: Queryable, gradeId: string): Promise<StoredGrade | null> {
  const { rows } = await db.query<GradeRow>(
    `SELECT id, submission_id, course, assignment, student, score, max_score, late_penalty_percent, passed, total, verdict, message
       FROM grades WHERE id = $1`,
    [gradeId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const tests = await db.query<{ name: string; status: StoredTest['status']; points: number; max_points: number; message: string | null }>(
    'SELECT name, status, points, max_points, message FROM test_results WHERE grade_id = $1 ORDER BY position',
    [gradeId],
  );
  return {
    id: row.id, submissionId: row.submission_id, course: row.course, assignment: row.assignment, student: row.student,
    score: Number(row.score), maxScore: Number(row.max_score), latePenaltyPercent: Number(row.late_penalty_percent),
    passed: Number(row.passed), total: Number(row.total), verdict: row.verdict, message: row.message,
    tests: tests.rows.map((t) => ({ name: t.name, status: t.status, points: Number(t.points), maxPoints: Number(t.max_points), message: t.message })),
  };
}
