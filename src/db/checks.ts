/**
 * Named queries of the orchestration stage: a push's decision, the checks it starts, and the
 * history admission rules look at. All idempotent: natural keys with ON CONFLICT DO NOTHING.
 */
import type { Queryable } from './database.ts';

export type Priority = 'exam' | 'normal' | 'regrade';
export type Executor = 'local' | 'gitlab-ci';

export interface StudentWork {
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
}

export interface AdmissionHistoryRow {
  readonly checkedCommits: ReadonlySet<string>;
  readonly attemptsTotal: number;
  readonly attemptTimes: readonly Date[];
}

/**
 * What admission rules need about one student's earlier work on an assignment. An attempt is
 * an admitted push (re-grades excluded) whose check did not end in a system error: an
 * infrastructure failure never costs the student an attempt.
 */
export async function admissionHistory(db: Queryable, work: StudentWork, excludeSubmissionId: string): Promise<AdmissionHistoryRow> {
  const { rows } = await db.query<{ commit_sha: string; received_at: Date; system_error: boolean }>(
    `SELECT s.commit_sha, s.received_at,
            COALESCE((SELECT c.verdict = 'system-error' FROM checks c WHERE c.submission_id = s.id ORDER BY c.attempt DESC LIMIT 1), false) AS system_error
       FROM submissions s
      WHERE s.course = $1 AND s.assignment = $2 AND s.student = $3 AND s.id <> $4
        AND s.queued_at IS NOT NULL AND s.priority <> 'regrade'`,
    [work.course, work.assignment, work.student, excludeSubmissionId],
  );
  const counted = rows.filter((row) => !row.system_error);
  return {
    checkedCommits: new Set(rows.map((row) => row.commit_sha)),
    attemptsTotal: counted.length,
    attemptTimes: counted.map((row) => row.received_at),
  };
}

export interface AdmitInput {
  readonly submissionId: string;
  readonly priority: Priority;
  readonly late: boolean;
  readonly queuedAt: Date;
  readonly branch: string | null;
  readonly repoUrl: string | null;
  readonly projectWebUrl: string | null;
}

/** Marks a new submission as queued for checking. Only the first decision sticks. */
export async function admitSubmission(db: Queryable, input: AdmitInput): Promise<void> {
  await db.query(
    `UPDATE submissions SET status = 'queued', priority = $2, late = $3, queued_at = $4, branch = $5, repo_url = $6, project_web_url = $7
      WHERE id = $1 AND queued_at IS NULL AND reason IS NULL`,
    [input.submissionId, input.priority, input.late, input.queuedAt, input.branch, input.repoUrl, input.projectWebUrl],
  );
}

/**
 * Marks a new submission as not checked, with the reason the student is told: `rejected`, or
 * `recorded` for assignments that are collected without a check.
 */
export async function refuseSubmission(db: Queryable, submissionId: string, refusal: { reason: string; message: string; branch: string | null; status: 'rejected' | 'recorded' }): Promise<void> {
  await db.query(
    `UPDATE submissions SET status = $5, reason = $2, reason_message = $3, branch = $4
      WHERE id = $1 AND queued_at IS NULL AND reason IS NULL`,
    [submissionId, refusal.reason, refusal.message, refusal.branch, refusal.status],
  );
}

export interface PushOutcome extends StudentWork {
  readonly eventId: string;
  readonly submissionId: string | null;
  readonly commitSha: string;
  readonly ref: string;
  readonly outcome: 'admitted' | 'refused';
  readonly reason: string | null;
  readonly message: string | null;
  readonly receivedAt: Date;
}

export async function recordPushOutcome(db: Queryable, push: PushOutcome): Promise<void> {
  await db.query(
    `INSERT INTO pushes (event_id, submission_id, course, assignment, student, commit_sha, ref, outcome, reason, message, received_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (event_id) DO NOTHING`,
    [push.eventId, push.submissionId, push.course, push.assignment, push.student, push.commitSha, push.ref, push.outcome, push.reason, push.message, push.receivedAt],
  );
}

export interface Check {
  readonly id: string;
  readonly submissionId: string;
  readonly attempt: number;
  readonly executor: Executor;
  readonly priority: Priority;
  readonly status: string;
  readonly gitlabProject: string | null;
  readonly pipelineId: number | null;
  readonly queuedAt: Date;
  readonly startedAt: Date | null;
}

export interface CheckRow {
  id: string;
  submission_id: string;
  attempt: number;
  executor: Executor;
  priority: Priority;
  status: string;
  gitlab_project: string | null;
  pipeline_id: string | null;
  queued_at: Date;
  started_at: Date | null;
}

export const CHECK_COLUMNS = 'id, submission_id, attempt, executor, priority, status, gitlab_project, pipeline_id, queued_at, started_at';

export function toCheck(row: CheckRow): Check {
  return {
    id: row.id,
    submissionId: row.submission_id,
    attempt: row.attempt,
    executor: row.executor,
    priority: row.priority,
    status: row.status,
    gitlabProject: row.gitlab_project,
    pipelineId: row.pipeline_id === null ? null : Number(row.pipeline_id),
    queuedAt: row.queued_at,
    startedAt: row.started_at,
  };
}

export interface NewCheck {
  readonly id: string;
  readonly submissionId: string;
  readonly attempt: number;
  readonly executor: Executor;
  readonly priority: Priority;
  readonly queuedAt: Date;
  readonly gitlabProject?: string | null;
}

/**
 * Creates the check (or returns the one that already exists for this submission and attempt).
 * The new row comes back from the INSERT itself: a second statement only for a redelivery.
 */
export async function createCheck(db: Queryable, check: NewCheck): Promise<Check> {
  const inserted = await db.query<CheckRow>(
    `INSERT INTO checks (id, submission_id, attempt, executor, priority, status, gitlab_project, queued_at)
     VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7) ON CONFLICT (submission_id, attempt) DO NOTHING RETURNING ${CHECK_COLUMNS}`,
    [check.id, check.submissionId, check.attempt, check.executor, check.priority, check.gitlabProject ?? null, check.queuedAt],
  );
  if (inserted.rows[0] !== undefined) return toCheck(inserted.rows[0]);
  // ON CONFLICT waited for a concurrent insert to commit; this new statement sees its row.
  const { rows } = await db.query<CheckRow>(`SELECT ${CHECK_COLUMNS} FROM checks WHERE submission_id = $1 AND attempt = $2`, [check.submissionId, check.attempt]);
  const row = rows[0];
  if (row === undefined) throw new Error(`check ${check.submissionId}#${check.attempt} vanished after insert`);
  return toCheck(row);
}

export async function findCheck(db: Queryable, checkId: string): Promise<Check | null> {
  const { rows } = await db.query<CheckRow>(`SELECT ${CHECK_COLUMNS} FROM checks WHERE id = $1`, [checkId]);
  return rows[0] === undefined ? null : toCheck(rows[0]);
}

/** The latest check of a submission (highest attempt). */
export async function latestCheck(db: Queryable, submissionId: string): Promise<Check | null> {
  const { rows } = await db.query<CheckRow>(`SELECT ${CHECK_COLUMNS} FROM checks WHERE submission_id = $1 ORDER BY attempt DESC LIMIT 1`, [submissionId]);
  return rows[0] === undefined ? null : toCheck(rows[0]);
}

export async function findCheckByPipeline(db: Queryable, gitlabProject: string, pipelineId: number): Promise<Check | null> {
  const { rows } = await db.query<CheckRow>(`SELECT ${CHECK_COLUMNS} FROM checks WHERE gitlab_project = $1 AND pipeline_id = $2`, [gitlabProject, pipelineId]);
  return rows[0] === undefined ? null : toCheck(rows[0]);
}

/** Check and submission move together: started -> running, finished -> checked, ... */
export async function markCheck(db: Queryable, checkId: string, change: { status: string; at: Date; verdict?: string; message?: string; logUri?: string | null; reportUris?: readonly string[]; pipelineId?: number }): Promise<void> {
  const startedAt = change.status === 'running' ? change.at : null;
  const finishedAt = change.status === 'running' || change.status === 'queued' ? null : change.at;
  await db.query(
    `UPDATE checks SET status = $2, started_at = COALESCE(started_at, $3), finished_at = COALESCE($4, finished_at),
            verdict = COALESCE($5, verdict), message = COALESCE($6, message), log_uri = COALESCE($7, log_uri),
            report_uris = COALESCE($8::jsonb, report_uris), pipeline_id = COALESCE($9, pipeline_id)
      WHERE id = $1`,
    [checkId, change.status, startedAt, finishedAt, change.verdict ?? null, change.message ?? null, change.logUri ?? null,
      change.reportUris === undefined ? null : JSON.stringify(change.reportUris), change.pipelineId ?? null],
  );
}

/** Sets a submission's status and stamps the matching time column once. */
export async function markSubmission(db: Queryable, submissionId: string, status: string, at: Date, reason?: { code: string; message: string }): Promise<void> {
  const column = { running: 'started_at', checked: 'finished_at', error: 'finished_at', superseded: 'finished_at', graded: 'graded_at', notified: 'notified_at' }[status];
  const stamp = column === undefined ? '' : `, ${column} = COALESCE(${column}, $3)`;
  await db.query(
    `UPDATE submissions SET status = $2${stamp}, reason = COALESCE($4, reason), reason_message = COALESCE($5, reason_message) WHERE id = $1`,
    [submissionId, status, at, reason?.code ?? null, reason?.message ?? null],
  );
}

/**
 * True when a newer push of the same student and assignment was admitted after this one:
 * with `last`/`lastBeforeDeadline` the older check would be graded for nothing.
 */
export async function newerAdmittedSubmission(db: Queryable, submissionId: string): Promise<boolean> {
  const { rows } = await db.query<{ newer: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM submissions newer, submissions older
        WHERE older.id = $1 AND newer.course = older.course AND newer.assignment = older.assignment
          AND newer.student = older.student AND newer.id <> older.id AND newer.queued_at IS NOT NULL
          AND newer.priority <> 'regrade' AND newer.received_at > older.received_at) AS newer`,
    [submissionId],
  );
  return rows[0]?.newer === true;
}
