// pipeline-orchestrators: each push becomes a submission (recorded once, whatever the
// redeliveries), then a `queued` pipeline status is emitted. The status event's id derives
// from the submission, so a crash between the two steps, followed by redelivery, emits the
// same event again rather than a second one with another id.
import type { Database } from '../db/index.ts';
import { recordSubmission } from '../db/index.ts';
import type { AnyEnvelope, EventPublisher } from '../events/index.ts';
import { EVENTS, stableId } from '../events/index.ts';
import type { MessageContext } from '../kafka/index.ts';

export interface OrchestratorDeps {
  readonly db: Database;
  readonly publisher: EventPublisher;
  readonly onRecorded?: (created: boolean) => void;
}

export function orchestratorHandler(deps: OrchestratorDeps) {
  return async (event: AnyEnvelope, context: MessageContext): Promise<void> => {
    if (event.type !== 'gitlab.push') {
      context.log.warn({ type: event.type }, 'unexpected event type on the push topic; skipped');
      return;
    }
    const push = event.payload;
    const { submission, created } = await recordSubmission(deps.db, {
      eventId: event.id,
      course: push.course,
      assignment: push.assignment,
      student: push.student,
      projectId: push.project.id,
      projectPath: push.project.path,
      ref: push.ref,
      commitSha: push.checkoutSha,
      receivedAt: new Date(push.receivedAt),
    });
    deps.onRecorded?.(created);
    context.log.info({ submissionId: submission.id, created }, created ? 'submission recorded' : 'submission already recorded');
    await deps.publisher.publish(EVENTS.pipelineStatus, {
      id: stableId('pipeline.status', submission.id, 'queued'),
      key: event.key,
      payload: {
        submissionId: submission.id,
        course: submission.course,
        assignment: submission.assignment,
        student: submission.student,
        commitSha: submission.commitSha,
        state: 'queued',
        reason: null,
      },
    });
  };
}
