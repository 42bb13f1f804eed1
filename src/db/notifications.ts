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
  return (await claimNotifications(db, key, [channel], leaseMs)).get(channel) ?? 'in-progress';
}

/**
 * claimNotification for several channels of one key in one round trip (the usual case: every
 * channel is claimed; a second statement asks only about those that were not). Each channel
 * gets the answer claimNotification would give it.
 */
export async function claimNotifications(
  db: Queryable, key: string, channels: readonly NotificationChannel[], leaseMs = CLAIM_LEASE_MS,
): Promise<Map<NotificationChannel, ClaimResult>> {
  // Distinct: one INSERT ... ON CONFLICT DO UPDATE may not touch a row twice.
  const wanted = [...new Set(channels)];
  const results = new Map<NotificationChannel, ClaimResult>();
  if (wanted.length === 0) return results;
  const { rows } = await db.query<{ channel: NotificationChannel }>(
    `INSERT INTO notifications (key, channel, detail) SELECT $1, channel, $3 FROM unnest($2::text[]) AS channel
     ON CONFLICT (key, channel) DO UPDATE SET sent_at = now()
       WHERE notifications.detail = $3 AND notifications.sent_at < now() - $4::double precision * interval '1 millisecond'
     RETURNING channel`,
    [key, wanted, CLAIMED_DETAIL, leaseMs],
  );
  for (const row of rows) results.set(row.channel, 'claimed');
  const others = wanted.filter((channel) => !results.has(channel));
  if (others.length === 0) return results;
  const held = await db.query<{ channel: NotificationChannel; detail: string | null }>(
    'SELECT channel, detail FROM notifications WHERE key = $1 AND channel = ANY($2::text[])', [key, others],
  );
  const details = new Map(held.rows.map((row) => [row.channel, row.detail]));
  // Released between the two statements (no row): the caller's retry claims it.
  for (const channel of others) {
    const detail = details.get(channel);
    results.set(channel, detail === undefined || detail === CLAIMED_DETAIL ? 'in-progress' : 'sent');
  }
  return results;
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
  project_id: string;
  commit_sha: string;
  branch: string | null;
  ref: string;
  graded_at: Date | null;
  notified_at: Date | null;
}

/** How many checks wait ahead of the submission `me` (same or higher priority, queued earlier). */
const QUEUE_POSITION_COLUMN = `, (SELECT count(*) FROM submissions other
   WHERE other.status = 'queued' AND other.id <> me.id AND other.queued_at < me.queued_at
     AND (CASE other.priority WHEN 'exam' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END)
         <= (CASE me.priority WHEN 'exam' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END)) AS ahead`;

/** With `queuePosition`, the target also says how many checks wait ahead of it, read in the same
 * round trip: a `queued` status shows it. */
export async function findNotifyTarget(db: Queryable, submissionId: string, options: { queuePosition?: boolean } = {}): Promise<(NotifyTarget & { readonly queuePosition?: number }) | null> {
  const ahead = options.queuePosition === true ? QUEUE_POSITION_COLUMN : '';
  const { rows } = await db.query<TargetRow & { ahead?: string }>(
    `SELECT me.project_id, me.commit_sha, me.branch, me.ref, me.graded_at, me.notified_at${ahead} FROM submissions me WHERE me.id = $1`, [submissionId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const target = notifyTarget(submissionId, row);
  return row.ahead === undefined ? target : { ...target, queuePosition: Number(row.ahead) };
}

function notifyTarget(submissionId: string, row: TargetRow): NotifyTarget {
  const branch = row.branch ?? (row.ref.startsWith('refs/heads/') ? row.ref.slice('refs/heads/'.length) : null);
  return {
    submissionId, projectId: Number(row.project_id), commitSha: row.commit_sha, branch,
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

interface GradeRow extends TargetRow {
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
  /** json_agg of the test rows, in position order; null when the grade has none. */
  tests: { name: string; status: StoredTest['status']; points: number; max_points: number; message: string | null }[] | null;
}

/** What a grade notification needs: the grade with its tests, and where it goes. */
export interface GradeNotice {
  readonly grade: StoredGrade;
  readonly target: NotifyTarget;
}

/**
 * The grade with its tests and its submission's target in one round trip (the tests as one
 * JSON array), or null when there is no such grade. One query instead of three: the notify
 * stage runs it for every grade, at the exam peak thousands of times a minute.
 */
export async function loadGradeNotice(db: Queryable, gradeId: string): Promise<GradeNotice | null> {
  const { rows } = await db.query<GradeRow>(
    `SELECT g.id, g.submission_id, g.course, g.assignment, g.student, g.score, g.max_score, g.late_penalty_percent,
            g.passed, g.total, g.verdict, g.message, s.project_id, s.commit_sha, s.branch, s.ref, s.graded_at, s.notified_at,
            (SELECT json_agg(json_build_object('name', t.name, 'status', t.status, 'points', t.points,
                                               'max_points', t.max_points, 'message', t.message) ORDER BY t.position)
               FROM test_results t WHERE t.grade_id = g.id) AS tests
       FROM grades g JOIN submissions s ON s.id = g.submission_id
      WHERE g.id = $1`,
    [gradeId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const grade: StoredGrade = {
    id: row.id, submissionId: row.submission_id, course: row.course, assignment: row.assignment, student: row.student,
    score: Number(row.score), maxScore: Number(row.max_score), latePenaltyPercent: Number(row.late_penalty_percent),
    passed: Number(row.passed), total: Number(row.total), verdict: row.verdict, message: row.message,
    tests: (row.tests ?? []).map((t) => ({ name: t.name, status: t.status, points: Number(t.points), maxPoints: Number(t.max_points), message: t.message })),
  };
  return { grade, target: notifyTarget(row.submission_id, row) };
}
