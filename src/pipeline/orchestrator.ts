// pipeline-orchestrators: decides what each push means — a submission to check, or a push
// recorded with the reason it is not checked — records that in one transaction, then starts
// the check (a job on the check topic of its priority, or a GitLab pipeline) and announces the
// outcome on pipeline.status. Every emitted id derives from stored state, so a crash after the
// transaction followed by redelivery re-emits the same events instead of new ones.
import type { Assignment, Course } from '../courses/index.ts';
import type { Check, Database, Queryable, Submission } from '../db/index.ts';
import {
  admissionHistory, admitSubmission, createCheck, latestCheck, recordPushOutcome, recordSubmission, refuseSubmission,
} from '../db/index.ts';
import { AppError } from '../errors/index.ts';
import type { AnyEnvelope, Envelope, EventPublisher } from '../events/index.ts';
import { stableId, unexpectedEvent } from '../events/index.ts';
import type { GitLabClient } from '../gitlab/index.ts';
import type { MessageContext } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { admitPush } from './admission.ts';
import { dispatchCheck, announceRefusal } from './dispatch.ts';

export interface OrchestratorDeps {
  readonly db: Database;
  readonly publisher: EventPublisher;
  readonly courses: ReadonlyMap<string, Course>;
  readonly gitlab: GitLabClient | null;
  readonly metrics?: Metrics;
}

type Push = Envelope<'gitlab.push'>;

export type Outcome =
  | { readonly kind: 'admitted'; readonly submission: Submission; readonly check: Check }
  | { readonly kind: 'refused'; readonly submission: Submission; readonly code: string; readonly message: string };

export function orchestratorHandler(deps: OrchestratorDeps) {
  return async (event: AnyEnvelope, context: MessageContext): Promise<void> => {
    if (event.type !== 'gitlab.push') throw unexpectedEvent(event, context.topic, 'gitlab.push');
    const assignment = findAssignment(deps.courses, event.payload.course, event.payload.assignment);
    const outcome = await deps.db.transaction((tx) => decide(tx, event, assignment));
    deps.metrics?.submissionsRecorded.inc({ result: outcome.kind === 'admitted' ? 'admitted' : outcome.code });
    context.log.info({ submissionId: outcome.submission.id, outcome: outcome.kind, reason: outcome.kind === 'refused' ? outcome.code : undefined }, 'push handled');
    if (outcome.kind === 'refused') await announceRefusal(deps, event, outcome);
    else await dispatchCheck(deps, event, outcome, assignment);
  };
}

/** A push can name an assignment a course file no longer has: fix the file, then redrive. */
function findAssignment(courses: ReadonlyMap<string, Course>, course: string, slug: string): Assignment {
  const assignment = courses.get(course)?.assignments.find((a) => a.slug === slug);
  if (assignment === undefined) {
    throw new AppError('UNKNOWN_ASSIGNMENT', `course ${course} has no assignment ${slug} (course files changed?); redrive this record once it exists`, { retryable: false });
  }
  return assignment;
}

async function decide(tx: Queryable, event: Push, assignment: Assignment): Promise<Outcome> {
  const push = event.payload;
  const { submission, created } = await recordSubmission(tx, {
    eventId: event.id, course: push.course, assignment: push.assignment, student: push.student, projectId: push.project.id,
    projectPath: push.project.path, ref: push.ref, commitSha: push.checkoutSha, receivedAt: new Date(push.receivedAt),
  });
  if (!created && submission.eventId === event.id) return replay(tx, submission);
  if (!created) return refuseDuplicate(tx, event, submission);
  const decision = admitPush({
    assignment, branch: push.branch, defaultBranch: push.project.defaultBranch, commitSha: push.checkoutSha,
    pushedAt: new Date(push.receivedAt), history: await admissionHistory(tx, push, submission.id),
  });
  if (!decision.admit) {
    const status = decision.reason === 'not-checked' ? 'recorded' : 'rejected';
    await refuseSubmission(tx, submission.id, { reason: decision.reason, message: decision.message, branch: push.branch, status });
    await record(tx, event, submission.id, { outcome: 'refused', reason: decision.reason, message: decision.message });
    return { kind: 'refused', submission, code: decision.reason, message: decision.message };
  }
  const queuedAt = new Date();
  await admitSubmission(tx, { submissionId: submission.id, priority: decision.priority, late: decision.late, queuedAt, branch: push.branch, repoUrl: push.project.httpUrl, projectWebUrl: push.project.webUrl });
  const check = await createCheck(tx, firstCheck(submission, assignment, decision.priority, queuedAt, push.project.id));
  await record(tx, event, submission.id, { outcome: 'admitted', reason: null, message: null });
  return { kind: 'admitted', submission, check };
}

function firstCheck(submission: Submission, assignment: Assignment, priority: Check['priority'], queuedAt: Date, projectId: number) {
  const check = assignment.check;
  if (check === null) throw new AppError('NOT_CHECKED', 'admitted an assignment without check');
  const gitlabProject = check.executor === 'gitlab-ci' ? String(check.project ?? projectId) : null;
  return { id: checkId(submission.id, 1), submissionId: submission.id, attempt: 1, executor: check.executor, priority, queuedAt, gitlabProject };
}

/** Check ids derive from submission and attempt, so retried work finds the same check. */
export function checkId(submissionId: string, attempt: number): string {
  return stableId('check', submissionId, String(attempt));
}

async function refuseDuplicate(tx: Queryable, event: Push, submission: Submission): Promise<Outcome> {
  const message = `Commit ${submission.commitSha.slice(0, 8)} was already submitted; it is not checked again. Push a new commit to submit again.`;
  await record(tx, event, submission.id, { outcome: 'refused', reason: 'duplicate-commit', message });
  return { kind: 'refused', submission, code: 'duplicate-commit', message };
}

/** The same push delivered again: rebuild the outcome from what was stored the first time. */
async function replay(tx: Queryable, submission: Submission): Promise<Outcome> {
  const { rows } = await tx.query<{ reason: string | null; reason_message: string | null }>('SELECT reason, reason_message FROM submissions WHERE id = $1', [submission.id]);
  const check = await latestCheck(tx, submission.id);
  if (check === null) {
    return { kind: 'refused', submission, code: rows[0]?.reason ?? 'not-checked', message: rows[0]?.reason_message ?? '' };
  }
  return { kind: 'admitted', submission, check };
}

async function record(tx: Queryable, event: Push, submissionId: string, outcome: { outcome: 'admitted' | 'refused'; reason: string | null; message: string | null }) {
  const push = event.payload;
  await recordPushOutcome(tx, {
    eventId: event.id, submissionId, course: push.course, assignment: push.assignment, student: push.student,
    commitSha: push.checkoutSha, ref: push.ref, receivedAt: new Date(push.receivedAt), ...outcome,
  });
}
