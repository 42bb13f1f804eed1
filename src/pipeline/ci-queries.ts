/**
 * Queries of the gitlab-ci executor, beside the shared ones in src/db/checks.ts. A gitlab-ci
 * check is read together with its submission (the events it leads to name the student and the
 * commit). Every state change is conditional on the state it leaves, so a redelivered webhook,
 * a late webhook and the sweeper can never move a check backwards or close it twice.
 */
import type { Queryable } from '../db/index.ts';
import type { Priority } from '../db/index.ts';

export interface CiCheckRow {
  readonly checkId: string;
  readonly submissionId: string;
  readonly attempt: number;
  readonly priority: Priority;
  /** queued, running, finished, superseded, error, timed-out */
  readonly status: string;
  readonly gitlabProject: string | null;
  readonly pipelineId: number | null;
  readonly verdict: string | null;
  readonly message: string | null;
  readonly queuedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly projectId: number;
  readonly projectPath: string;
  readonly branch: string | null;
  readonly commitSha: string;
}

interface Row {
  id: string;
  submission_id: string;
  attempt: number;
  priority: Priority;
  status: string;
  gitlab_project: string | null;
  pipeline_id: string | null;
  verdict: string | null;
  message: string | null;
  queued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  course: string;
  assignment: string;
  student: string;
  project_id: string;
  project_path: string;
  branch: string | null;
  commit_sha: string;
}

const SELECT = `SELECT c.id, c.submission_id, c.attempt, c.priority, c.status, c.gitlab_project, c.pipeline_id,
       c.verdict, c.message, c.queued_at, c.started_at, c.finished_at,
       s.course, s.assignment, s.student, s.project_id, s.project_path, s.branch, s.commit_sha
  FROM checks c JOIN submissions s ON s.id = c.submission_id
 WHERE c.executor = 'gitlab-ci'`;

function toRow(row: Row): CiCheckRow {
  return {
    checkId: row.id, submissionId: row.submission_id, attempt: row.attempt, priority: row.priority,
    status: row.status, gitlabProject: row.gitlab_project,
    // bigint columns arrive as strings (src/db/database.ts); GitLab ids fit a double.
    pipelineId: row.pipeline_id === null ? null : Number(row.pipeline_id),
    verdict: row.verdict, message: row.message, queuedAt: row.queued_at, startedAt: row.started_at,
    finishedAt: row.finished_at, course: row.course, assignment: row.assignment, student: row.student,
    projectId: Number(row.project_id), projectPath: row.project_path, branch: row.branch, commitSha: row.commit_sha,
  };
}

export async function findCiCheck(db: Queryable, checkId: string): Promise<CiCheckRow | null> {
  const { rows } = await db.query<Row>(`${SELECT} AND c.id = $1`, [checkId]);
  return rows[0] === undefined ? null : toRow(rows[0]);
}

/** `gitlabProject` is the numeric project id as a string, as the pipeline webhook carries it. */
export async function findCiCheckByPipeline(db: Queryable, gitlabProject: string, pipelineId: number): Promise<CiCheckRow | null> {
  const { rows } = await db.query<Row>(`${SELECT} AND c.gitlab_project = $1 AND c.pipeline_id = $2`, [gitlabProject, pipelineId]);
  return rows[0] === undefined ? null : toRow(rows[0]);
}

/**
 * Links a check to the pipeline created for it. The project is replaced by GitLab's numeric id
 * (the orchestrator may have stored a path), since that is what pipeline webhooks carry.
 * False when the check already has a pipeline.
 */
export async function attachPipeline(db: Queryable, checkId: string, pipeline: { gitlabProject: string; pipelineId: number; message: string | null }): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE checks SET gitlab_project = $2, pipeline_id = $3, message = COALESCE($4, message)
      WHERE id = $1 AND pipeline_id IS NULL`,
    [checkId, pipeline.gitlabProject, pipeline.pipelineId, pipeline.message],
  );
  return rowCount > 0;
}

/**
 * queued -> running, for the check and its submission, in one statement. False when the check
 * is no longer queued: then the submission is left as it is too (a result closed the check
 * meanwhile, through the retry lane, and may have graded the submission already).
 */
export async function markCiRunning(db: Queryable, row: Pick<CiCheckRow, 'checkId' | 'submissionId'>, at: Date): Promise<boolean> {
  const { rows } = await db.query<{ started: boolean }>(
    `WITH started AS (
       UPDATE checks SET status = 'running', started_at = COALESCE(started_at, $2) WHERE id = $1 AND status = 'queued' RETURNING id
     ), submission AS (
       UPDATE submissions SET status = 'running', started_at = COALESCE(started_at, $2) WHERE id = $3 AND EXISTS (SELECT 1 FROM started)
     )
     SELECT EXISTS (SELECT 1 FROM started) AS started`,
    [row.checkId, at, row.submissionId],
  );
  return rows[0]?.started === true;
}

export interface CiClosing {
  readonly status: 'finished' | 'timed-out' | 'error';
  /** The test.result verdicts a gitlab-ci check can end with. */
  readonly verdict: 'completed' | 'system-error';
  readonly message: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
}

/** Closes a queued or running check. False when something else closed it first. */
export async function closeCiCheck(db: Queryable, checkId: string, closing: CiClosing): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE checks SET status = $2, verdict = $3, message = $4, started_at = COALESCE(started_at, $5), finished_at = $6
      WHERE id = $1 AND status IN ('queued', 'running')`,
    [checkId, closing.status, closing.verdict, closing.message, closing.startedAt, closing.finishedAt],
  );
  return rowCount > 0;
}

/**
 * Open gitlab-ci checks queued at or before `queuedBefore`: the ones that may have outlived
 * their timeout (each assignment has its own, so the caller decides).
 */
export async function listOpenCiChecks(db: Queryable, queuedBefore: Date, limit = 1000): Promise<CiCheckRow[]> {
  const { rows } = await db.query<Row>(
    `${SELECT} AND c.status IN ('queued', 'running') AND c.queued_at <= $1 ORDER BY c.queued_at LIMIT $2`,
    [queuedBefore, limit],
  );
  return rows.map(toRow);
}
