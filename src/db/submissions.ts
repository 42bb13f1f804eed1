/**
 * Named queries for submissions, the consumer inbox and stored GitLab events.
 * Every function takes a Queryable so callers can run it on the Database or
 * on the `tx` of db.transaction(). All values are bound parameters.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from './database.ts';
import { DatabaseError } from './errors.ts';

export interface Submission {
  id: string;
  eventId: string;
  course: string;
  assignment: string;
  student: string;
  projectId: number;
  projectPath: string;
  ref: string;
  commitSha: string;
  status: string;
  receivedAt: Date;
}

/** What a new submission is made of: everything but its id and status, which are given here.
 * `eventId` is the gitlab.push event that created it; `commitSha` is 40 lowercase hex
 * characters (enforced by a CHECK constraint). */
export type RecordSubmissionInput = Omit<Submission, 'id' | 'status'>;

export interface SubmissionFilter {
  course?: string;
  assignment?: string;
  student?: string;
  /** Only submissions received strictly before this instant. */
  before?: Date;
}

export interface ListSubmissionsFilter extends SubmissionFilter {
  /** Default 100; values above 1000 are capped at 1000; must be a positive integer. */
  limit?: number;
}

export interface GitLabEventRecord {
  id: string;
  kind: string;
  course?: string | null;
  projectPath?: string | null;
  receivedAt: Date;
  payload: unknown;
}

export const INITIAL_SUBMISSION_STATUS = 'queued';
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

interface SubmissionRow {
  id: string;
  event_id: string;
  course: string;
  assignment: string;
  student: string;
  project_id: string; // int8 arrives as string, see database.ts
  project_path: string;
  ref: string;
  commit_sha: string;
  status: string;
  received_at: Date;
}

const COLUMNS = `id, event_id, course, assignment, student, project_id, project_path,
  ref, commit_sha, status, received_at`;

function invalid(message: string): DatabaseError {
  return new DatabaseError('DB_INVALID_INPUT', message);
}

function toProjectId(value: string): number {
  const id = Number(value);
  // GitLab ids are far below 2^53; anything else means corrupt data, not a rounding case.
  if (!Number.isSafeInteger(id)) throw invalid(`project_id ${value} is not a safe integer`);
  return id;
}

function toSubmission(row: SubmissionRow): Submission {
  return {
    id: row.id,
    eventId: row.event_id,
    course: row.course,
    assignment: row.assignment,
    student: row.student,
    projectId: toProjectId(row.project_id),
    projectPath: row.project_path,
    ref: row.ref,
    commitSha: row.commit_sha,
    status: row.status,
    receivedAt: row.received_at,
  };
}

function checkDate(value: Date, field: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid(`${field} must be a valid Date`);
}

const INSERT_SUBMISSION = `INSERT INTO submissions (${COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  ON CONFLICT DO NOTHING
  RETURNING ${COLUMNS}`;

// Prefer the row of this very event if the event and the commit map to different rows.
const FIND_EXISTING = `SELECT ${COLUMNS} FROM submissions
  WHERE event_id = $1 OR (project_id = $2 AND commit_sha = $3)
  ORDER BY (event_id = $1) DESC
  LIMIT 1`;

/**
 * Idempotent on eventId and on (projectId, commitSha). ON CONFLICT DO NOTHING
 * waits for a concurrent insert of the same key to commit, so the read-back
 * (a new statement, hence a new snapshot under READ COMMITTED) sees its row.
 */
export async function recordSubmission(
  db: Queryable,
  input: RecordSubmissionInput,
): Promise<{ submission: Submission; created: boolean }> {
  if (!Number.isSafeInteger(input.projectId)) throw invalid('projectId must be a safe integer');
  checkDate(input.receivedAt, 'receivedAt');
  const inserted = await db.query<SubmissionRow>(INSERT_SUBMISSION, [
    randomUUID(), input.eventId, input.course, input.assignment, input.student, input.projectId,
    input.projectPath, input.ref, input.commitSha, INITIAL_SUBMISSION_STATUS, input.receivedAt,
  ]);
  const created = inserted.rows[0];
  if (created) return { submission: toSubmission(created), created: true };
  const existing = await db.query<SubmissionRow>(FIND_EXISTING, [input.eventId, input.projectId, input.commitSha]);
  const row = existing.rows[0];
  if (!row) {
    // Only possible if the conflicting row was deleted in between; the caller may retry.
    throw new DatabaseError('DB_SERIALIZATION_FAILURE', 'submission conflicted but no existing row was found', { retryable: true });
  }
  return { submission: toSubmission(row), created: false };
}

function whereClause(filter: SubmissionFilter): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: string, value: unknown): void => {
    params.push(value);
    conditions.push(`${condition} $${params.length}`);
  };
  if (filter.course !== undefined) add('course =', filter.course);
  if (filter.assignment !== undefined) add('assignment =', filter.assignment);
  if (filter.student !== undefined) add('student =', filter.student);
  if (filter.before !== undefined) {
    checkDate(filter.before, 'before');
    add('received_at <', filter.before);
  }
  return { sql: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

function effectiveLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw invalid('limit must be a positive integer');
  return Math.min(limit, MAX_LIST_LIMIT);
}

/** Newest first (received_at, then insertion order). */
export async function listSubmissions(db: Queryable, filter: ListSubmissionsFilter = {}): Promise<Submission[]> {
  const limit = effectiveLimit(filter.limit);
  const where = whereClause(filter);
  const { rows } = await db.query<SubmissionRow>(
    `SELECT ${COLUMNS} FROM submissions ${where.sql}
     ORDER BY received_at DESC, created_at DESC, id DESC
     LIMIT $${where.params.length + 1}`,
    [...where.params, limit],
  );
  return rows.map(toSubmission);
}

export async function countSubmissions(db: Queryable, filter: SubmissionFilter = {}): Promise<number> {
  const where = whereClause(filter);
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM submissions ${where.sql}`, where.params);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Inbox entry for Kafka -> PostgreSQL consumers: call inside the transaction
 * that applies the event; false means the event was already applied.
 */
export async function markEventProcessed(tx: Queryable, group: string, eventId: string): Promise<boolean> {
  const result = await tx.query(
    'INSERT INTO processed_events (consumer_group, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [group, eventId],
  );
  return result.rowCount === 1;
}

/** Stores a webhook event verbatim; true when new, false when the id was already stored. */
export async function storeGitLabEvent(db: Queryable, event: GitLabEventRecord): Promise<boolean> {
  checkDate(event.receivedAt, 'receivedAt');
  const payload = JSON.stringify(event.payload);
  if (payload === undefined) throw invalid('payload must be JSON-serialisable');
  // Sent as text and cast in SQL: pg would turn a JS array into a PostgreSQL array literal.
  const result = await db.query(
    `INSERT INTO gitlab_events (id, kind, course, project_path, received_at, payload)
     VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)
     ON CONFLICT (id) DO NOTHING`,
    [event.id, event.kind, event.course ?? null, event.projectPath ?? null, event.receivedAt, payload],
  );
  return result.rowCount === 1;
}
