/**
 * Named queries of the grading stage: grades with their per-test results (written once per
 * submission, suite version and policy version), and the read side of the staff API.
 * Glossary — counting grade: the one grade of a student's work on an assignment that goes
 * into the grade book, chosen by the assignment's `counts` policy.
 */
import type { Queryable } from './database.ts';
import type { Check, CheckRow } from './checks.ts';
import { CHECK_COLUMNS, toCheck } from './checks.ts';
import type { Assignment } from '../courses/index.ts';
import { countingSubmission } from '../grading/policy/index.ts';
import type { OutcomeTest } from '../grading/outcome.ts';

/** One graded test as stored: the grading stage's own shape. */
export type GradeTest = OutcomeTest;

export interface Grade {
  readonly id: string;
  readonly submissionId: string;
  readonly checkId: string;
  readonly suiteVersion: string;
  readonly policyVersion: string;
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly score: number;
  readonly maxScore: number;
  readonly rawScore: number;
  readonly latePenaltyPercent: number;
  readonly passed: number;
  readonly total: number;
  readonly verdict: string;
  readonly message: string | null;
  readonly gradedAt: Date;
}

export interface GradeWithTests extends Grade {
  readonly tests: readonly GradeTest[];
}

const GRADE_COLUMNS = `id, submission_id, check_id, suite_version, policy_version, course, assignment, student, score,
  max_score, raw_score, late_penalty_percent, passed, total, verdict, message, graded_at`;

type GradeRow = Record<'id' | 'submission_id' | 'check_id' | 'suite_version' | 'policy_version' | 'course' | 'assignment' | 'student' | 'verdict', string>
  & Record<'score' | 'max_score' | 'raw_score' | 'late_penalty_percent' | 'passed' | 'total', number>
  & { message: string | null; graded_at: Date };

function toGrade(r: GradeRow): Grade {
  return {
    id: r.id, submissionId: r.submission_id, checkId: r.check_id, suiteVersion: r.suite_version, policyVersion: r.policy_version,
    course: r.course, assignment: r.assignment, student: r.student, score: r.score, maxScore: r.max_score, rawScore: r.raw_score,
    latePenaltyPercent: r.late_penalty_percent, passed: r.passed, total: r.total, verdict: r.verdict, message: r.message, gradedAt: r.graded_at,
  };
}

/** Rows per INSERT: 500 × 8 parameters stays far below PostgreSQL's 65535 bind parameters. */
export const TEST_RESULT_CHUNK = 500;

/**
 * Inserts the grade and its test results, or finds the grade that already exists for the same
 * (submission, suite version, policy version): a redelivered result is the same grade, and its
 * tests are not written twice. Call inside a transaction so grade and tests land together.
 */
export async function insertGrade(tx: Queryable, grade: Grade, tests: readonly GradeTest[]): Promise<{ grade: Grade; inserted: boolean }> {
  const g = grade;
  const { rows } = await tx.query<GradeRow>(
    `INSERT INTO grades (${GRADE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
     ON CONFLICT (submission_id, suite_version, policy_version) DO NOTHING RETURNING ${GRADE_COLUMNS}`,
    [g.id, g.submissionId, g.checkId, g.suiteVersion, g.policyVersion, g.course, g.assignment, g.student, g.score,
      g.maxScore, g.rawScore, g.latePenaltyPercent, g.passed, g.total, g.verdict, g.message, g.gradedAt],
  );
  const created = rows[0];
  if (created !== undefined) {
    await insertTestResults(tx, created.id, tests);
    return { grade: toGrade(created), inserted: true };
  }
  // ON CONFLICT waited for a concurrent insert to commit; this new statement sees its row.
  const existing = await tx.query<GradeRow>(
    `SELECT ${GRADE_COLUMNS} FROM grades WHERE submission_id = $1 AND suite_version = $2 AND policy_version = $3`,
    [g.submissionId, g.suiteVersion, g.policyVersion],
  );
  const row = existing.rows[0];
  if (row === undefined) throw new Error(`grade of ${g.submissionId} conflicted but cannot be found`);
  return { grade: toGrade(row), inserted: false };
}

async function insertTestResults(tx: Queryable, gradeId: string, tests: readonly GradeTest[]): Promise<void> {
  for (let start = 0; start < tests.length; start += TEST_RESULT_CHUNK) {
    const chunk = tests.slice(start, start + TEST_RESULT_CHUNK);
    const params: unknown[] = [];
    const tuples = chunk.map((t, i) => {
      params.push(gradeId, start + i, t.name, t.status, t.points, t.maxPoints, t.timeSeconds, t.message);
      const base = i * 8;
      return `(${Array.from({ length: 8 }, (_, k) => `$${base + k + 1}`).join(', ')})`;
    });
    await tx.query(
      `INSERT INTO test_results (grade_id, position, name, status, points, max_points, time_seconds, message) VALUES ${tuples.join(', ')}`,
      params,
    );
  }
}

export async function findGrade(db: Queryable, gradeId: string): Promise<Grade | null> {
  const { rows } = await db.query<GradeRow>(`SELECT ${GRADE_COLUMNS} FROM grades WHERE id = $1`, [gradeId]);
  return rows[0] === undefined ? null : toGrade(rows[0]);
}

interface TestRow { name: string; status: GradeTest['status']; points: number; max_points: number; time_seconds: number | null; message: string | null }

async function testsOf(db: Queryable, gradeId: string): Promise<GradeTest[]> {
  const { rows } = await db.query<TestRow>(
    'SELECT name, status, points, max_points, time_seconds, message FROM test_results WHERE grade_id = $1 ORDER BY position', [gradeId]);
  return rows.map((r) => ({ name: r.name, status: r.status, points: r.points, maxPoints: r.max_points, timeSeconds: r.time_seconds, message: r.message }));
}

/** The latest grade of a submission (re-grades included), with its per-test results. */
export async function gradeOfSubmission(db: Queryable, submissionId: string): Promise<GradeWithTests | null> {
  const { rows } = await db.query<GradeRow>(
    `SELECT ${GRADE_COLUMNS} FROM grades WHERE submission_id = $1 ORDER BY graded_at DESC, id DESC LIMIT 1`, [submissionId]);
  const row = rows[0];
  return row === undefined ? null : { ...toGrade(row), tests: await testsOf(db, row.id) };
}

export interface GradingSubmission {
  readonly id: string;
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly commitSha: string;
  readonly receivedAt: Date;
}

/** What grading needs of a submission: received_at is the authoritative submission time. */
export async function submissionForGrading(db: Queryable, submissionId: string): Promise<GradingSubmission | null> {
  const { rows } = await db.query<SubmissionRow>(`SELECT ${SUBMISSION_FOR_GRADING} FROM submissions s WHERE s.id = $1`, [submissionId]);
  return rows[0] === undefined ? null : toGradingSubmission(rows[0]);
}

interface SubmissionRow { id: string; course: string; assignment: string; student: string; commit_sha: string; received_at: Date }

function toGradingSubmission(r: SubmissionRow): GradingSubmission {
  return { id: r.id, course: r.course, assignment: r.assignment, student: r.student, commitSha: r.commit_sha, receivedAt: r.received_at };
}

export interface GradingTarget {
  readonly submission: GradingSubmission;
  /** The check the result names, whichever submission it belongs to (the caller compares); null when there is none. */
  readonly check: Check | null;
  /** The grade already stored under the id asked for (a redelivered result), else null. */
  readonly existing: Grade | null;
}

const SUBMISSION_FOR_GRADING = 's.id, s.course, s.assignment, s.student, s.commit_sha, s.received_at';

/** `alias.column AS prefix_column` for each column: two tables' columns in one row. */
function prefixedColumns(columns: string, alias: string, prefix: string): string {
  return columns.split(/,\s*/).map((column) => `${alias}.${column} AS ${prefix}${column}`).join(', ');
}

/** The row of one prefixed table, or null when its LEFT JOIN found nothing. */
function unprefixed<T>(row: Record<string, unknown>, prefix: string): T | null {
  if (row[`${prefix}id`] === null) return null;
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) if (column.startsWith(prefix)) out[column.slice(prefix.length)] = value;
  return out as T;
}

/**
 * What grading a test result reads before it grades: the submission, the check the result names
 * and the grade a redelivery finds already stored, in one round trip instead of three (the
 * grading stage runs it for every result, at the exam peak thousands of times a minute). Null
 * when there is no such submission.
 */
export async function loadGradingTarget(db: Queryable, ids: { submissionId: string; checkId: string; gradeId: string }): Promise<GradingTarget | null> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${SUBMISSION_FOR_GRADING}, ${prefixedColumns(CHECK_COLUMNS, 'c', 'c_')}, ${prefixedColumns(GRADE_COLUMNS, 'g', 'g_')}
       FROM submissions s LEFT JOIN checks c ON c.id = $2 LEFT JOIN grades g ON g.id = $3
      WHERE s.id = $1`,
    [ids.submissionId, ids.checkId, ids.gradeId],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const check = unprefixed<CheckRow>(row, 'c_');
  const grade = unprefixed<GradeRow>(row, 'g_');
  return {
    submission: toGradingSubmission(row as unknown as SubmissionRow),
    check: check === null ? null : toCheck(check),
    existing: grade === null ? null : toGrade(grade),
  };
}

export interface GradedCheck {
  readonly checkId: string;
  readonly finishedAt: Date;
  readonly verdict: string;
  readonly message: string | null;
  readonly logUri: string | null;
  readonly reportUris?: readonly string[];
  /** The submission's new status; null for a redelivered result (the status stays). */
  readonly status: string | null;
}

/**
 * The rest of grading, after insertGrade and in its transaction, as one statement: the check
 * finished with the grade's verdict; the submission's finished_at and graded_at stamped once, its
 * status moved only when `status` is given (a new grade: a redelivered result must not move a
 * notified submission back to `graded`); and the grade of the submission that came just before
 * this one read (null for a first grading), so that the caller can tell whether the student is
 * told again. "Before" is by graded_at, not "any other", so a redelivery computes the same answer
 * even after later re-grades exist.
 */
export async function finishGrading(tx: Queryable, grade: Pick<Grade, 'id' | 'submissionId' | 'gradedAt'>, check: GradedCheck): Promise<{ score: number; verdict: string } | null> {
  const { rows } = await tx.query<{ score: number; verdict: string }>(
    `WITH finished AS (
       UPDATE checks SET status = 'finished', finished_at = $2, verdict = $3, message = COALESCE($4, message),
              log_uri = COALESCE($5, log_uri), report_uris = COALESCE($6::jsonb, report_uris)
        WHERE id = $1
     ), stamped AS (
       UPDATE submissions SET status = COALESCE($8, status), finished_at = COALESCE(finished_at, $2), graded_at = COALESCE(graded_at, $9)
        WHERE id = $7
     )
     SELECT score, verdict FROM grades WHERE submission_id = $7 AND id <> $10 AND (graded_at < $9 OR (graded_at = $9 AND id < $10))
      ORDER BY graded_at DESC, id DESC LIMIT 1`,
    [check.checkId, check.finishedAt, check.verdict, check.message, check.logUri,
      check.reportUris === undefined ? null : JSON.stringify(check.reportUris), grade.submissionId, check.status, grade.gradedAt, grade.id],
  );
  return rows[0] ?? null;
}

export interface CountingGrade {
  readonly student: string;
  readonly submissionId: string;
  readonly commitSha: string;
  readonly score: number;
  readonly maxScore: number;
  readonly verdict: string;
  /** Received after the deadline. */
  readonly late: boolean;
  readonly latePenaltyPercent: number;
  readonly submittedAt: Date;
  readonly gradedAt: Date;
}

type CountingRow = { submission_id: string; student: string; score: number; max_score: number; verdict: string; late_penalty_percent: number; graded_at: Date; commit_sha: string; received_at: Date };

/** Each student's counting grade, by student. Only the latest grade of each submission counts. */
export async function listCountingGrades(db: Queryable, course: string, assignment: Pick<Assignment, 'slug' | 'counts' | 'deadline'>): Promise<CountingGrade[]> {
  const { rows } = await db.query<CountingRow>(
    `SELECT DISTINCT ON (g.submission_id) g.submission_id, g.student, g.score, g.max_score, g.verdict, g.late_penalty_percent,
            g.graded_at, s.commit_sha, s.received_at
       FROM grades g JOIN submissions s ON s.id = g.submission_id
      WHERE g.course = $1 AND g.assignment = $2
      ORDER BY g.submission_id, g.graded_at DESC, g.id DESC`,
    [course, assignment.slug],
  );
  const byStudent = Map.groupBy(rows, (row) => row.student);
  const counting: CountingGrade[] = [];
  for (const [student, own] of byStudent) {
    const records = own.map((r) => ({ submissionId: r.submission_id, score: r.score, submittedAt: r.received_at, gradedAt: r.graded_at }));
    const chosen = own.find((r) => r.submission_id === countingSubmission(records, assignment.counts, assignment.deadline));
    if (chosen === undefined) continue;
    counting.push({
      student, submissionId: chosen.submission_id, commitSha: chosen.commit_sha, score: chosen.score, maxScore: chosen.max_score,
      verdict: chosen.verdict, late: chosen.received_at.getTime() > assignment.deadline.getTime(),
      latePenaltyPercent: chosen.late_penalty_percent, submittedAt: chosen.received_at, gradedAt: chosen.graded_at,
    });
  }
  return counting.sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
}

export interface SubmissionDetail {
  readonly id: string;
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly commitSha: string;
  readonly status: string;
  readonly reason: string | null;
  readonly reasonMessage: string | null;
  readonly times: Readonly<Record<'received' | 'queued' | 'started' | 'finished' | 'graded' | 'notified', Date | null>>;
  /** Of the latest check (highest attempt); null before any check. */
  readonly check: { readonly verdict: string | null; readonly message: string | null; readonly logUri: string | null; readonly reportUris: readonly string[] } | null;
  readonly grade: GradeWithTests | null;
}

type DetailRow = Record<'id' | 'course' | 'assignment' | 'student' | 'commit_sha' | 'status', string>
  & Record<'reason' | 'reason_message' | 'check_verdict' | 'check_message' | 'log_uri', string | null>
  & Record<'received_at', Date> & Record<'queued_at' | 'started_at' | 'finished_at' | 'graded_at' | 'notified_at', Date | null>
  & { attempt: number | null; report_uris: string[] | null };

export async function submissionDetail(db: Queryable, submissionId: string): Promise<SubmissionDetail | null> {
  const { rows } = await db.query<DetailRow>(
    `SELECT s.id, s.course, s.assignment, s.student, s.commit_sha, s.status, s.reason, s.reason_message, s.received_at, s.queued_at,
            s.started_at, s.finished_at, s.graded_at, s.notified_at, c.attempt, c.verdict AS check_verdict, c.message AS check_message,
            c.log_uri, c.report_uris
       FROM submissions s
       LEFT JOIN LATERAL (SELECT attempt, verdict, message, log_uri, report_uris FROM checks WHERE submission_id = s.id
                           ORDER BY attempt DESC LIMIT 1) c ON true
      WHERE s.id = $1`,
    [submissionId],
  );
  const r = rows[0];
  if (r === undefined) return null;
  return {
    id: r.id, course: r.course, assignment: r.assignment, student: r.student, commitSha: r.commit_sha, status: r.status,
    reason: r.reason, reasonMessage: r.reason_message,
    times: { received: r.received_at, queued: r.queued_at, started: r.started_at, finished: r.finished_at, graded: r.graded_at, notified: r.notified_at },
    check: r.attempt === null ? null : { verdict: r.check_verdict, message: r.check_message, logUri: r.log_uri, reportUris: r.report_uris ?? [] },
    grade: await gradeOfSubmission(db, r.id),
  };
}
