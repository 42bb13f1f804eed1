// check-runners: takes check jobs from the three priority topics, runs each in the sandbox
// when a slot is free (exam first), and reports where the results are on pipeline.results.
// A slot is held only while the sandbox runs: the next checks' git fetches, database writes and
// events go on meanwhile (up to twice as many checks in progress as slots, also exam first), so
// that the slots, which are the machine's cores, do not wait on GitLab, Kafka or PostgreSQL.
// A job whose check already finished is a redelivery and does nothing; a job whose submission
// was overtaken by a newer push (counts: last / lastBeforeDeadline) is skipped as superseded.
import type { Assignment, Course, LocalCheck } from '../courses/index.ts';
import type { Database } from '../db/index.ts';
import { findCheck, markCheck, markSubmission, newerAdmittedSubmission } from '../db/index.ts';
import { AppError, errorCode } from '../errors/index.ts';
import type { AnyEnvelope, Envelope, EventPublisher } from '../events/index.ts';
import { EVENTS, stableId, unexpectedEvent } from '../events/index.ts';
import type { MessageContext } from '../kafka/index.ts';
import type { Logger } from '../logging/index.ts';
import { supersedes } from '../pipeline/admission.ts';
import type { ArtifactStore } from '../storage/index.ts';
import type { PrioritySlots } from './priority-slots.ts';
import { runWithInfraRetries } from './infra-retry.ts';
import type { SandboxLease } from './types.ts';

export interface CheckRunnerDeps {
  readonly db: Database;
  readonly publisher: EventPublisher;
  readonly courses: ReadonlyMap<string, Course>;
  readonly artifacts: ArtifactStore;
  /** Checks in progress (work dirs on disk, git fetches, reports): each job waits for one. */
  readonly inProgress: PrioritySlots;
  /** Sandboxes running, the machine's capacity: a check holds one only while its sandbox runs. */
  readonly slots: PrioritySlots;
  readonly workRoot: string;
  /** GITLAB_TOKEN, to clone over HTTP(S); never logged. */
  readonly gitToken: string | null;
  /** First sandbox uid; sandbox slot i runs as uidBase + i so concurrent checks do not share limits. */
  readonly uidBase?: number;
}

type Job = Envelope<'check.requested'>;
type LocalAssignment = Assignment & { check: LocalCheck };

export function checkRunnerHandler(deps: CheckRunnerDeps) {
  return async (event: AnyEnvelope, context: MessageContext): Promise<void> => {
    if (event.type !== 'check.requested') throw unexpectedEvent(event, context.topic, 'check.requested');
    const check = await findCheck(deps.db, event.payload.checkId);
    if (check === null) throw new AppError('UNKNOWN_CHECK', `check ${event.payload.checkId} does not exist`, { retryable: false });
    if (check.status !== 'queued' && check.status !== 'running') return;
    const assignment = localAssignment(deps.courses, event);
    const permit = await deps.inProgress.acquire(event.payload.priority);
    try {
      if (await isSuperseded(deps, event, assignment)) return skipSuperseded(deps, event);
      await runAndReport(deps, event, assignment, context.log);
    } finally {
      permit.release();
    }
  };
}

function localAssignment(courses: ReadonlyMap<string, Course>, job: Job): LocalAssignment {
  const assignment = courses.get(job.payload.course)?.assignments.find((a) => a.slug === job.payload.assignment);
  if (assignment?.check?.executor !== 'local') {
    throw new AppError('NO_LOCAL_CHECK', `${job.payload.course}/${job.payload.assignment} has no local check (course files changed?)`, { retryable: false });
  }
  return assignment as LocalAssignment;
}

async function isSuperseded(deps: CheckRunnerDeps, job: Job, assignment: Assignment): Promise<boolean> {
  if (job.payload.priority === 'regrade' || !supersedes(assignment.counts)) return false;
  return newerAdmittedSubmission(deps.db, job.payload.submissionId);
}

async function skipSuperseded(deps: CheckRunnerDeps, job: Job): Promise<void> {
  const now = new Date();
  const message = 'A newer push of this assignment was submitted; only the newer one is checked.';
  // Told first, recorded second: should the publish fail, the redelivered job still finds the
  // check open and tells again (same event id), instead of finding it closed and saying nothing.
  await deps.publisher.publish(EVENTS.pipelineStatus, {
    id: stableId('pipeline.status', job.payload.checkId, 'superseded'),
    key: job.key,
    payload: { ...statusBase(job), state: 'skipped', reason: message, code: 'superseded', priority: job.payload.priority },
  });
  await markCheck(deps.db, job.payload.checkId, { status: 'superseded', at: now, message });
  await markSubmission(deps.db, job.payload.submissionId, 'superseded', now, { code: 'superseded', message });
}

function statusBase(job: Job) {
  const { submissionId, course, assignment, student, commitSha, projectId } = job.payload;
  return { submissionId, course, assignment, student, commitSha, projectId };
}

async function markRunning(deps: CheckRunnerDeps, job: Job, at: Date): Promise<void> {
  await markCheck(deps.db, job.payload.checkId, { status: 'running', at });
  await markSubmission(deps.db, job.payload.submissionId, 'running', at);
  await deps.publisher.publish(EVENTS.pipelineStatus, {
    id: stableId('pipeline.status', job.payload.checkId, 'running'),
    key: job.key,
    payload: { ...statusBase(job), state: 'running', reason: null, code: null, priority: job.payload.priority },
  });
}

const SUPERSEDED = 'CHECK_SUPERSEDED';

/**
 * A sandbox slot, exam first, as the uid of its index. A check may have waited for it behind
 * others, so whether a newer push replaced it is asked again here; the check is marked running
 * (once, whatever the infrastructure retries) only when it really starts.
 */
function sandboxLeases(deps: CheckRunnerDeps, job: Job, assignment: Assignment, started: { at: Date | null }): () => Promise<SandboxLease> {
  return async () => {
    const slot = await deps.slots.acquire(job.payload.priority);
    try {
      if (started.at === null) {
        if (await isSuperseded(deps, job, assignment)) {
          throw new AppError(SUPERSEDED, 'a newer push was submitted', { retryable: false });
        }
        const at = new Date();
        await markRunning(deps, job, at);
        started.at = at;
      }
    } catch (error) {
      slot.release();
      throw error;
    }
    const uid = (deps.uidBase ?? 60_000) + slot.index;
    return { uid, gid: uid, release: () => slot.release() };
  };
}

async function runAndReport(deps: CheckRunnerDeps, job: Job, assignment: LocalAssignment, log: Logger): Promise<void> {
  const started: { at: Date | null } = { at: null };
  let outcome;
  try {
    outcome = await runWithInfraRetries(
      { submissionId: job.payload.submissionId, repoUrl: job.payload.repoUrl, commitSha: job.payload.commitSha, check: assignment.check, gitToken: deps.gitToken },
      { workRoot: deps.workRoot, store: deps.artifacts, acquireSandbox: sandboxLeases(deps, job, assignment, started) },
      log,
    );
  } catch (error) {
    if (errorCode(error) === SUPERSEDED) return skipSuperseded(deps, job);
    throw error;
  }
  // A check that never reached a sandbox (its commit could not be fetched) is marked running
  // now, so that its system-error result follows a running status like every other result.
  const startedAt = started.at ?? new Date();
  if (started.at === null) await markRunning(deps, job, startedAt);
  const finishedAt = new Date();
  // Published before the check is marked finished: if Kafka cannot take the result, the job is
  // retried, finds the check still running and runs it again, rather than finding it finished
  // and dropping a result nobody received. The result's id is stable, so a repeat is one result.
  await deps.publisher.publish(EVENTS.testResult, {
    id: stableId('test.result', job.payload.checkId),
    key: job.key,
    payload: {
      checkId: job.payload.checkId, submissionId: job.payload.submissionId, course: job.payload.course, assignment: job.payload.assignment,
      student: job.payload.student, commitSha: job.payload.commitSha, executor: 'local', verdict: outcome.verdict, message: outcome.message.slice(0, 4000),
      source: outcome.reportUris.length > 0 ? { kind: 'junit', reportUris: [...outcome.reportUris] } : { kind: 'none' },
      logUri: outcome.logUri, startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(),
    },
  });
  await markCheck(deps.db, job.payload.checkId, { status: 'finished', at: finishedAt, verdict: outcome.verdict, message: outcome.message, logUri: outcome.logUri, reportUris: outcome.reportUris });
}
