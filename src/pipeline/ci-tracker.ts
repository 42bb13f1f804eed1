// ci-trackers (topic gitlab.events): follows the pipelines the gitlab-ci executor started. A
// pipeline webhook is matched to its check by (numeric project id, pipeline id); most
// pipelines are not ours and are ignored. `running` moves check and submission to running;
// a final status closes the check and emits test.result, whose report result-processors
// then read from the GitLab API.
//
// Order of effects: the event is published BEFORE the conditional update that closes (or
// starts) the check. A redelivery after the update finds the check moved on and publishes
// nothing; a crash between the two publishes again under the same stable id, which
// consumers deduplicate.
import { z } from 'zod';
import type { Queryable } from '../db/index.ts';
import { AppError } from '../errors/index.ts';
import type { AnyEnvelope, EventPublisher, PayloadInput } from '../events/index.ts';
import { EVENTS, stableId, submissionKey, unexpectedEvent } from '../events/index.ts';
import type { MessageContext, MessageHandler } from '../kafka/index.ts';
import type { Logger } from '../logging/index.ts';
import type { CiCheckRow, CiClosing } from './ci-queries.ts';
import { closeCiCheck, findCiCheck, findCiCheckByPipeline, markCiRunning } from './ci-queries.ts';

const MESSAGE_LIMIT = 4000;
const RAILS_OR_ISO = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(UTC|Z|[+-]\d{2}:?\d{2})?$/;

/**
 * GitLab's webhook times come as ISO 8601 (`2021-02-23T02:41:37.886Z`, `…+02:00`) or
 * Rails-style (`2016-08-12 15:23:28 UTC`). Anything else, null included, gives null: a
 * missing time falls back to our own, it never fails the event.
 */
export function parseGitLabTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const match = RAILS_OR_ISO.exec(value.trim());
  if (match === null) return null;
  const zone = match[3] === undefined || match[3] === 'UTC' ? 'Z' : match[3];
  const time = Date.parse(`${match[1]}T${match[2]}${zone}`);
  return Number.isNaN(time) ? null : new Date(time);
}

export type PipelineOutcome =
  | { readonly kind: 'waiting' }
  | { readonly kind: 'running' }
  | { readonly kind: 'finished'; readonly verdict: 'completed' | 'system-error'; readonly message: string }
  | { readonly kind: 'unknown' };

const WAITING = new Set(['created', 'waiting_for_resource', 'preparing', 'pending', 'scheduled', 'manual']);

/** What a pipeline status means for its check. Failed tests fail the pipeline: still graded. */
export function pipelineOutcome(status: string): PipelineOutcome {
  if (WAITING.has(status)) return { kind: 'waiting' };
  if (status === 'running') return { kind: 'running' };
  if (status === 'success' || status === 'failed') return { kind: 'finished', verdict: 'completed', message: '' };
  if (status === 'canceled') {
    return { kind: 'finished', verdict: 'system-error', message: 'The GitLab pipeline was canceled before it finished (by a person, or by GitLab for a newer pipeline on the same branch).' };
  }
  if (status === 'skipped') {
    return { kind: 'finished', verdict: 'system-error', message: 'GitLab skipped the pipeline: no job ran (check the rules of the CI configuration).' };
  }
  return { kind: 'unknown' };
}

export interface PipelineState {
  readonly status: string;
  /** From the webhook; null when unknown (e.g. read from the API by the sweeper). */
  readonly createdAt: Date | null;
  readonly finishedAt: Date | null;
}

const PipelineHook = z.object({
  object_attributes: z.object({
    id: z.number().int().positive(), status: z.string(), created_at: z.unknown().optional(), finished_at: z.unknown().optional(),
    // The variables the pipeline was created with (GitLab's pipeline hook lists them).
    variables: z.array(z.object({ key: z.string(), value: z.unknown() })).optional().catch(undefined),
  }),
  project: z.object({ id: z.number().int() }),
});

export interface PipelineHookState extends PipelineState {
  readonly projectId: number;
  readonly pipelineId: number;
  /** GRADEFLOW_CHECK_ID among the pipeline's variables: the check this pipeline was created for. */
  readonly checkId?: string;
}

export function readPipelineHook(body: Record<string, unknown>): PipelineHookState | null {
  const parsed = PipelineHook.safeParse(body);
  if (!parsed.success) return null;
  const { object_attributes: attributes, project } = parsed.data;
  const checkId = attributes.variables?.find((v) => v.key === 'GRADEFLOW_CHECK_ID')?.value;
  return {
    projectId: project.id, pipelineId: attributes.id, status: attributes.status,
    createdAt: parseGitLabTime(attributes.created_at), finishedAt: parseGitLabTime(attributes.finished_at),
    ...(typeof checkId === 'string' && checkId !== '' ? { checkId } : {}),
  };
}

export interface CiTrackerDeps {
  readonly db: Queryable;
  readonly publisher: EventPublisher;
  readonly now?: () => Date;
}

export function ciTrackerHandler(deps: CiTrackerDeps): MessageHandler {
  return async (event: AnyEnvelope, context: MessageContext): Promise<void> => {
    if (event.type !== 'gitlab.event') throw unexpectedEvent(event, context.topic, 'gitlab.event');
    const { kind, body } = event.payload;
    if (kind === 'build') {
      // Job events add nothing the pipeline events do not say; kept in the log for tracing.
      context.log.debug({ job: body['build_id'], pipeline: body['pipeline_id'], status: body['build_status'] }, 'job event');
      return;
    }
    if (kind !== 'pipeline') return;
    const hook = readPipelineHook(body);
    if (hook === null) {
      context.log.warn({ eventId: event.id }, 'pipeline webhook without project id, pipeline id or status; ignored');
      return;
    }
    const row = await findCiCheckByPipeline(deps.db, String(hook.projectId), hook.pipelineId);
    if (row === null) {
      await unknownPipeline(deps, hook, context.log);
      return;
    }
    await applyPipelineState(deps, row, hook, context.log);
  };
}

/**
 * A pipeline no check names. GitLab can finish a pipeline, and send its webhooks, before the
 * orchestrator that created it has stored its id: then the pipeline's own GRADEFLOW_CHECK_ID
 * names a check still queued without a pipeline, and the webhook is retried (transient) until the
 * id is stored, instead of being dropped and the student left waiting for the sweeper's timeout.
 * The id can also be stored between the lookup by pipeline and this one (an exam's burst did it
 * to 10 of 1,500 checks): the check named now has this very pipeline, and the webhook applies to
 * it. Any other pipeline (not ours, or one a concurrent start left unfollowed) is ignored.
 */
async function unknownPipeline(deps: CiTrackerDeps, hook: PipelineHookState, log: Logger): Promise<void> {
  const pending = hook.checkId === undefined ? null : await findCiCheck(deps.db, hook.checkId);
  if (pending !== null && pending.pipelineId === hook.pipelineId && pending.gitlabProject === String(hook.projectId)) {
    await applyPipelineState(deps, pending, hook, log);
    return;
  }
  if (pending !== null && pending.pipelineId === null && pending.status === 'queued') {
    throw new AppError('CI_PIPELINE_NOT_ATTACHED', `pipeline ${hook.pipelineId} of check ${pending.checkId} is not stored with its check yet; trying again`, { retryable: true });
  }
  log.debug({ project: hook.projectId, pipeline: hook.pipelineId }, 'pipeline of no check; ignored');
}

/** Applies a pipeline's status to its check: the tracker's path, and the sweeper's for lost webhooks. */
export async function applyPipelineState(deps: CiTrackerDeps, row: CiCheckRow, state: PipelineState, log: Logger): Promise<void> {
  const outcome = pipelineOutcome(state.status);
  const now = deps.now?.() ?? new Date();
  if (outcome.kind === 'running') return startRunning(deps, row, now, log);
  if (outcome.kind !== 'finished') {
    log.debug({ checkId: row.checkId, status: state.status }, 'pipeline status changes nothing');
    return;
  }
  if (row.status !== 'queued' && row.status !== 'running') {
    log.debug({ checkId: row.checkId, status: row.status }, 'check already closed; pipeline result not used again');
    return;
  }
  const startedAt = row.startedAt ?? state.createdAt ?? row.queuedAt;
  const finishedAt = latest(state.finishedAt ?? now, startedAt);
  const message = [outcome.message, row.message ?? ''].filter((part) => part !== '').join(' ');
  await closeAndPublish(deps, row, { status: 'finished', verdict: outcome.verdict, message, startedAt, finishedAt });
  log.info({ checkId: row.checkId, pipeline: row.pipelineId, status: state.status }, 'gitlab-ci check finished');
}

async function startRunning(deps: CiTrackerDeps, row: CiCheckRow, now: Date, log: Logger): Promise<void> {
  if (row.status !== 'queued') return;
  await deps.publisher.publish(EVENTS.pipelineStatus, {
    id: stableId('pipeline.status', row.checkId, 'running'),
    key: submissionKey(row.course, row.assignment, row.student),
    payload: {
      submissionId: row.submissionId, course: row.course, assignment: row.assignment, student: row.student,
      commitSha: row.commitSha, state: 'running', reason: null, projectId: row.projectId, priority: row.priority,
    },
  });
  await markCiRunning(deps.db, row, now);
  log.info({ checkId: row.checkId, pipeline: row.pipelineId }, 'gitlab-ci check running');
}

/** Publishes the check's test.result, then closes the check (see the order note at the top). */
export async function closeAndPublish(deps: CiTrackerDeps, row: CiCheckRow, closing: CiClosing): Promise<boolean> {
  const message = closing.message.length > MESSAGE_LIMIT ? `${closing.message.slice(0, MESSAGE_LIMIT - 1)}…` : closing.message;
  await deps.publisher.publish(EVENTS.testResult, {
    id: stableId('test.result', row.checkId),
    key: submissionKey(row.course, row.assignment, row.student),
    payload: testResultPayload(row, { ...closing, message }),
  });
  return closeCiCheck(deps.db, row.checkId, { ...closing, message });
}

export function testResultPayload(row: CiCheckRow, closing: CiClosing): PayloadInput<'test.result'> {
  return {
    checkId: row.checkId, submissionId: row.submissionId, course: row.course, assignment: row.assignment,
    student: row.student, commitSha: row.commitSha, executor: 'gitlab-ci', verdict: closing.verdict,
    message: closing.message, source: sourceOf(row), logUri: null,
    startedAt: closing.startedAt.toISOString(), finishedAt: closing.finishedAt.toISOString(),
  };
}

function sourceOf(row: CiCheckRow): PayloadInput<'test.result'>['source'] {
  if (row.pipelineId === null || row.gitlabProject === null) return { kind: 'none' };
  const numeric = /^\d+$/.test(row.gitlabProject);
  return { kind: 'gitlab', projectId: numeric ? Number(row.gitlabProject) : row.gitlabProject, pipelineId: row.pipelineId };
}

/** Clocks of GitLab and ours differ: a result never ends before it started. */
function latest(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}
