// What the orchestrator emits once its decision is stored: the student-facing status, and
// for admitted pushes the start of the check (a job on the check topic of its priority for the
// local executor, a GitLab pipeline for gitlab-ci). Ids derive from stored state (replay-safe).
import type { Assignment } from '../courses/index.ts';
import type { Check, Submission } from '../db/index.ts';
import { AppError } from '../errors/index.ts';
import type { Envelope } from '../events/index.ts';
import { CHECK_JOB_TOPICS, EVENTS, stableId } from '../events/index.ts';
import { startCiCheck } from './ci-executor.ts';
import type { OrchestratorDeps } from './orchestrator.ts';

type Push = Envelope<'gitlab.push'>;

function statusBase(push: Push, submission: Submission) {
  return {
    submissionId: submission.id,
    course: submission.course,
    assignment: submission.assignment,
    student: submission.student,
    commitSha: submission.commitSha,
    projectId: push.payload.project.id,
  };
}

/** Tells the student why a push is not checked (each push gets its own answer). */
export async function announceRefusal(deps: Pick<OrchestratorDeps, 'publisher'>, push: Push, outcome: { submission: Submission; code: string; message: string }): Promise<void> {
  await deps.publisher.publish(EVENTS.pipelineStatus, {
    id: stableId('pipeline.status', push.id, 'skipped'),
    key: push.key,
    payload: { ...statusBase(push, outcome.submission), state: 'skipped', reason: outcome.message, code: outcome.code, priority: null },
  });
}

export async function dispatchCheck(deps: OrchestratorDeps, push: Push, outcome: { submission: Submission; check: Check }, assignment: Assignment): Promise<void> {
  const { submission, check } = outcome;
  await deps.publisher.publish(EVENTS.pipelineStatus, {
    id: stableId('pipeline.status', check.id, 'queued'),
    key: push.key,
    payload: { ...statusBase(push, submission), state: 'queued', reason: null, code: null, priority: check.priority },
  });
  // A replayed push whose check already moved on has nothing left to start.
  if (check.status !== 'queued') return;
  const config = assignment.check;
  if (config === null) return;
  if (config.executor === 'local') await requestLocalCheck(deps, push, submission, check);
  else await startPipeline(deps, push, submission, check, config);
}

async function requestLocalCheck(deps: OrchestratorDeps, push: Push, submission: Submission, check: Check): Promise<void> {
  const repoUrl = push.payload.project.httpUrl;
  if (repoUrl === null) throw new AppError('NO_REPOSITORY_URL', `push of ${push.payload.project.path} names no git_http_url to clone`, { retryable: false });
  await deps.publisher.publish(EVENTS.checkRequested, {
    id: stableId('check.requested', check.id),
    key: push.key,
    payload: {
      checkId: check.id, submissionId: submission.id, course: submission.course, assignment: submission.assignment, student: submission.student,
      commitSha: submission.commitSha, projectId: push.payload.project.id, repoUrl, priority: check.priority, attempt: check.attempt,
      requestedAt: check.queuedAt.toISOString(),
    },
  }, { topic: CHECK_JOB_TOPICS[check.priority] });
}

async function startPipeline(deps: OrchestratorDeps, push: Push, submission: Submission, check: Check, config: Extract<Assignment['check'], { executor: 'gitlab-ci' }>): Promise<void> {
  if (deps.gitlab === null) throw new AppError('GITLAB_NOT_CONFIGURED', 'executor gitlab-ci needs GITLAB_URL and GITLAB_TOKEN', { retryable: false });
  await startCiCheck({ db: deps.db, gitlab: deps.gitlab, publisher: deps.publisher }, {
    check,
    submission: {
      id: submission.id, course: submission.course, assignment: submission.assignment, student: submission.student,
      projectId: push.payload.project.id, projectPath: push.payload.project.path, branch: push.payload.branch, commitSha: submission.commitSha,
    },
    config,
  });
}
