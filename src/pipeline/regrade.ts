// Re-grade: after a teacher fixes a test or a policy, each student's counting submission is
// checked again at re-grade priority (runners take it only when no live work waits). The new
// result becomes a new grade when the test suite or policy version changed; the student is
// told only when the score changed (result-processors decide, see grading.completed.notify).
import type { Course } from '../courses/index.ts';
import type { Database, Queryable } from '../db/index.ts';
import { createCheck, latestCheck, listCountingGrades } from '../db/index.ts';
import { AppError } from '../errors/index.ts';
import type { EventPublisher } from '../events/index.ts';
import { CHECK_JOB_TOPICS, EVENTS, stableId, submissionKey } from '../events/index.ts';
import type { GitLabClient } from '../gitlab/index.ts';
import { startCiCheck } from './ci-executor.ts';
import { checkId } from './orchestrator.ts';

export interface RegradeDeps {
  readonly db: Database;
  readonly publisher: EventPublisher;
  readonly courses: ReadonlyMap<string, Course>;
  readonly gitlab: GitLabClient | null;
}

export interface RegradeTarget {
  readonly course: string;
  readonly assignment: string;
  readonly student?: string;
}

export interface RegradeProgress {
  readonly done: number;
  readonly total: number;
  readonly student: string;
}

interface SubmissionRow {
  id: string;
  course: string;
  assignment: string;
  student: string;
  commit_sha: string;
  project_id: string;
  project_path: string;
  branch: string | null;
  repo_url: string | null;
}

/** Re-queues the counting submissions of an assignment (or of one student); returns how many. */
export async function regrade(deps: RegradeDeps, target: RegradeTarget, onProgress: (progress: RegradeProgress) => void = () => {}): Promise<number> {
  const assignment = deps.courses.get(target.course)?.assignments.find((a) => a.slug === target.assignment);
  if (assignment === undefined) throw new AppError('NOT_FOUND', `no assignment ${target.course}/${target.assignment}`);
  if (assignment.check === null) throw new AppError('NOT_CHECKED', `${target.course}/${target.assignment} has no check to run again`);
  const counting = (await listCountingGrades(deps.db, target.course, assignment)).filter((g) => target.student === undefined || g.student === target.student);
  if (target.student !== undefined && counting.length === 0) throw new AppError('NOT_FOUND', `${target.student} has no graded submission for ${target.course}/${target.assignment}`);
  for (const [index, grade] of counting.entries()) {
    await requeue(deps, await submissionRow(deps.db, grade.submissionId), assignment.check);
    onProgress({ done: index + 1, total: counting.length, student: grade.student });
  }
  return counting.length;
}

async function submissionRow(db: Queryable, id: string): Promise<SubmissionRow> {
  const { rows } = await db.query<SubmissionRow>(
    'SELECT id, course, assignment, student, commit_sha, project_id, project_path, branch, repo_url FROM submissions WHERE id = $1',
    [id],
  );
  if (rows[0] === undefined) throw new AppError('NOT_FOUND', `submission ${id} vanished`);
  return rows[0];
}

async function requeue(deps: RegradeDeps, row: SubmissionRow, config: NonNullable<Course['assignments'][number]['check']>): Promise<void> {
  const attempt = ((await latestCheck(deps.db, row.id))?.attempt ?? 0) + 1;
  const projectId = Number(row.project_id);
  const check = await createCheck(deps.db, {
    id: checkId(row.id, attempt), submissionId: row.id, attempt, executor: config.executor, priority: 'regrade', queuedAt: new Date(),
    gitlabProject: config.executor === 'gitlab-ci' ? String(config.project ?? projectId) : null,
  });
  const key = submissionKey(row.course, row.assignment, row.student);
  if (config.executor === 'gitlab-ci') {
    if (deps.gitlab === null) throw new AppError('GITLAB_NOT_CONFIGURED', 'executor gitlab-ci needs GITLAB_URL and GITLAB_TOKEN');
    await startCiCheck({ db: deps.db, gitlab: deps.gitlab, publisher: deps.publisher }, {
      check,
      submission: { id: row.id, course: row.course, assignment: row.assignment, student: row.student, projectId, projectPath: row.project_path, branch: row.branch, commitSha: row.commit_sha },
      config,
    });
    return;
  }
  if (row.repo_url === null) throw new AppError('NO_REPOSITORY_URL', `submission ${row.id} has no repository URL to clone`);
  await deps.publisher.publish(EVENTS.checkRequested, {
    id: stableId('check.requested', check.id),
    key,
    payload: {
      checkId: check.id, submissionId: row.id, course: row.course, assignment: row.assignment, student: row.student, commitSha: row.commit_sha,
      projectId, repoUrl: row.repo_url, priority: 'regrade', attempt, requestedAt: check.queuedAt.toISOString(),
    },
  }, { topic: CHECK_JOB_TOPICS.regrade });
}
