// The gitlab-ci executor: starts the GitLab pipeline of a check that the orchestrator created.
// Its webhooks come back through the gateway to ci-trackers; ci-sweeper covers lost ones.
//
// Idempotent: a check that already has a pipeline is left alone. GitLab has no idempotency
// key for creating pipelines, so a crash after GitLab created one and before it was stored
// leaves that pipeline unfollowed and a redelivery creates another; the first is harmless.
//
// With the student's own project and the pushed branch as ref, GitLab runs the branch HEAD,
// which may be newer than the submitted commit. Such a check is still graded (its pipeline
// ran the student's newer code, which is a submission of its own too), and the mismatch is
// recorded in the check's message and so told with the result. A CI configuration that wants
// the exact commit checks out $GRADEFLOW_COMMIT_SHA.
import type { Check, Queryable } from '../db/index.ts';
import type { GitlabCiCheck } from '../courses/index.ts';
import { AppError, errorCode, isRetryable } from '../errors/index.ts';
import type { EventPublisher } from '../events/index.ts';
import type { GitLabClient, Pipeline } from '../gitlab/index.ts';
import type { Logger } from '../logging/index.ts';
import type { CiCheckRow } from './ci-queries.ts';
import { attachPipeline, closeCiCheck, findCiCheck } from './ci-queries.ts';
import { closeAndPublish } from './ci-tracker.ts';

export interface CiSubmission {
  readonly id: string;
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly projectId: number;
  readonly projectPath: string;
  /** The pushed branch; null for a tag (then the assignment must name a ref). */
  readonly branch: string | null;
  readonly commitSha: string;
}

export interface StartCiCheckInput {
  /** Created by the orchestrator with executor 'gitlab-ci'. */
  readonly check: Pick<Check, 'id'>;
  readonly submission: CiSubmission;
  readonly config: GitlabCiCheck;
}

export interface CiExecutorDeps {
  readonly db: Queryable;
  readonly gitlab: GitLabClient;
  /**
   * Tells the student when no pipeline can be started (test.result, verdict system-error).
   * Pass it: without it such a check is only closed, and the caller must publish its result.
   */
  readonly publisher?: EventPublisher;
  /** GRADEFLOW_PUBLIC_URL, passed to the pipeline as GRADEFLOW_URL. */
  readonly publicUrl?: string | null;
  readonly log?: Logger;
  readonly now?: () => Date;
}

export interface StartCiCheckResult {
  /** The check's pipeline; null when none was (or can be) started. */
  readonly pipelineId: number | null;
  /** True when this call created the pipeline. */
  readonly created: boolean;
  /** Why GitLab would not start a pipeline; the check is then closed with a system-error result. */
  readonly refused: string | null;
}

export async function startCiCheck(deps: CiExecutorDeps, input: StartCiCheckInput): Promise<StartCiCheckResult> {
  const row = await findCiCheck(deps.db, input.check.id);
  if (row === null) {
    throw new AppError('CI_CHECK_MISSING', `gitlab-ci check ${input.check.id} does not exist; create it before starting it`, { retryable: false });
  }
  if (row.pipelineId !== null) return { pipelineId: row.pipelineId, created: false, refused: null };
  // Closed without a pipeline: refused before, or timed out and retried by the sweeper.
  if (row.status !== 'queued') return { pipelineId: null, created: false, refused: row.status === 'error' ? row.message : null };
  const ref = input.config.ref ?? input.submission.branch;
  if (ref === null) return refuse(deps, row, 'There is no branch to run the GitLab pipeline on, and the assignment names no ref.');
  let pipeline: Pipeline;
  try {
    const variables = pipelineVariables(input, deps.publicUrl ?? null);
    pipeline = await deps.gitlab.createPipeline(input.config.project ?? input.submission.projectId, { ref, variables });
  } catch (error) {
    if (isRetryable(error)) throw error; // GitLab away: the consumer retries with backoff
    deps.log?.warn({ err: error, checkId: row.checkId }, 'GitLab would not create the pipeline');
    return refuse(deps, row, refusalMessage(error));
  }
  return attach(deps, row, input, pipeline);
}

async function attach(deps: CiExecutorDeps, row: CiCheckRow, input: StartCiCheckInput, pipeline: Pipeline): Promise<StartCiCheckResult> {
  const note = shaMismatchNote(input, pipeline.sha);
  if (note !== null) deps.log?.warn({ checkId: row.checkId, pipeline: pipeline.id, sha: pipeline.sha }, 'pipeline runs a newer commit than the submission');
  // GitLab's numeric id, not the configured path: pipeline webhooks carry the number.
  const attached = await attachPipeline(deps.db, row.checkId, { gitlabProject: String(pipeline.projectId), pipelineId: pipeline.id, message: note });
  if (attached) {
    deps.log?.info({ checkId: row.checkId, project: pipeline.projectId, pipeline: pipeline.id }, 'gitlab-ci pipeline created');
    return { pipelineId: pipeline.id, created: true, refused: null };
  }
  const current = await findCiCheck(deps.db, row.checkId);
  deps.log?.warn({ checkId: row.checkId, unfollowed: pipeline.id, kept: current?.pipelineId }, 'check got a pipeline concurrently');
  return { pipelineId: current?.pipelineId ?? null, created: false, refused: null };
}

async function refuse(deps: CiExecutorDeps, row: CiCheckRow, message: string): Promise<StartCiCheckResult> {
  const closing = { status: 'error', verdict: 'system-error', message, startedAt: row.queuedAt, finishedAt: deps.now?.() ?? new Date() } as const;
  if (deps.publisher !== undefined) await closeAndPublish({ db: deps.db, publisher: deps.publisher }, row, closing);
  else await closeCiCheck(deps.db, row.checkId, closing);
  return { pipelineId: null, created: false, refused: message };
}

/** The course's variables, then ours: a course file cannot make a pipeline claim another submission. */
export function pipelineVariables(input: StartCiCheckInput, publicUrl: string | null): Record<string, string> {
  const { submission } = input;
  return {
    ...input.config.variables,
    ...(publicUrl === null ? {} : { GRADEFLOW_URL: publicUrl }),
    GRADEFLOW_SUBMISSION_ID: submission.id,
    GRADEFLOW_CHECK_ID: input.check.id,
    GRADEFLOW_COURSE: submission.course,
    GRADEFLOW_ASSIGNMENT: submission.assignment,
    GRADEFLOW_STUDENT: submission.student,
    GRADEFLOW_PROJECT_PATH: submission.projectPath,
    GRADEFLOW_PROJECT_ID: String(submission.projectId),
    GRADEFLOW_COMMIT_SHA: submission.commitSha,
  };
}

/**
 * Set when the pipeline runs on the student's own pushed branch and GitLab took a newer head.
 * A central grading project's SHA is its own commit, and a pinned ref is the course's choice:
 * no comparison there.
 */
export function shaMismatchNote(input: StartCiCheckInput, pipelineSha: string): string | null {
  const { config, submission } = input;
  const ownBranch = (config.project === null || String(config.project) === String(submission.projectId)) && config.ref === null;
  if (!ownBranch || pipelineSha === submission.commitSha) return null;
  return `Note: GitLab tested commit ${pipelineSha.slice(0, 8)}, the newer head of branch ${submission.branch ?? '?'}, ` +
    `not the submitted commit ${submission.commitSha.slice(0, 8)}.`;
}

function refusalMessage(error: unknown): string {
  if (error instanceof AppError && error.code === 'GITLAB_REJECTED') {
    const detail = String(error.details['gitlabMessage'] ?? '');
    return `GitLab refused to start the check pipeline (HTTP ${String(error.details['status'])}${detail === '' ? '' : `: ${detail}`}).`;
  }
  // Other permanent failures are problems of our configuration: the student gets the code only.
  return `The check pipeline could not be started (${errorCode(error)}): a problem on Gradeflow's side, not in your work.`;
}
