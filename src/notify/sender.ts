// notification-senders: tells the student, on every channel the course uses, about each grade
// (grading.completed) and about the moments before it (pipeline.status), never twice.
//
// "Never twice" is kept by the notifications table, one row per (key, channel): a channel is
// claimed with INSERT ... ON CONFLICT DO NOTHING, only the claimer sends, and a failed send
// gives the claim back so the consumer's retry can send. Keys: `grade:<gradeId>` and
// `status:<submissionId>:<state>`.
//
// The crash window, honestly: claim and send are not atomic (a send cannot be rolled back).
// If the process dies after claiming and before the send finished, or giving a claim back
// fails, the row stays with detail 'claimed' and that channel of that notification is never
// sent: at most once, never twice. Such rows are visible
// (`SELECT * FROM notifications WHERE detail = 'claimed' AND sent_at < now() - interval '10 minutes'`)
// and deleting one makes a replay of the event send it.
import type { Course } from '../courses/index.ts';
import type { Database } from '../db/index.ts';
import {
  claimNotification, claimNotifications, completeNotification, findNotifyTarget, loadGradeNotice, releaseNotification, stampNotified,
} from '../db/notifications.ts';
import type { ClaimResult, NotificationChannel, NotifyTarget, StoredGrade } from '../db/notifications.ts';
import { AppError, isRetryable } from '../errors/index.ts';
import type { AnyEnvelope, Envelope, GradingCompleted } from '../events/index.ts';
import { unexpectedEvent } from '../events/index.ts';
import type { GitLabClient } from '../gitlab/index.ts';
import type { MessageHandler } from '../kafka/index.ts';
import type { Logger } from '../logging/index.ts';
import { gradeEmail, sendEmail } from './channels/email.ts';
import { postCommitComment, postFeedback, setStatus } from './channels/gitlab.ts';
import { planPipelineStatus } from './channels/gitlab-status.ts';
import { postWebhook, webhookBody } from './channels/webhook.ts';
import { commitState, feedbackComment, statusDescription, statusName } from './format.ts';
import { GRADE_VERDICTS } from './types.ts';
import type { GradeSummary, GradeVerdict } from './types.ts';

/** What the handler uses of the group context (GroupContext fits). */
export interface NotifyContext {
  readonly db: Database;
  readonly courses: ReadonlyMap<string, Course>;
  /** null: GitLab is not configured; e-mail and webhooks still go. */
  readonly gitlab: GitLabClient | null;
  readonly config: { readonly http: { readonly publicUrl: string | null } };
  readonly log: Logger;
}

export interface NotifyOptions {
  /** Per webhook POST (default 10 000). */
  readonly webhookTimeoutMs?: number;
  /** Per SMTP step (default 15 000). */
  readonly emailTimeoutMs?: number;
  /**
   * A queued/running status older than this is dropped without calling GitLab (default
   * 120 000): after an outage the backlog of superseded statuses drains at once instead of
   * holding up the group.
   */
  readonly statusMaxAgeMs?: number;
  readonly now?: () => Date;
}

interface Deps extends NotifyContext {
  readonly options: NotifyOptions;
  readonly now: () => Date;
}

/** One channel of one notification: `send` returns what was done, for the record. */
interface Delivery {
  readonly channel: NotificationChannel;
  readonly send: () => Promise<string>;
}

export function notificationHandler(context: NotifyContext, options: NotifyOptions = {}): MessageHandler {
  const deps: Deps = { ...context, options, now: options.now ?? (() => new Date()) };
  return async (event: AnyEnvelope, message) => {
    const log = message.log;
    if (event.type === 'grading.completed') return notifyGrade(deps, event.payload, log);
    if (event.type === 'pipeline.status') return notifyPipelineStatus(deps, event, log);
    throw unexpectedEvent(event, message.topic, 'grading.completed or pipeline.status');
  };
}

async function notifyGrade(deps: Deps, event: GradingCompleted, log: Logger): Promise<void> {
  const key = `grade:${event.gradeId}`;
  if (!event.notify) {
    // A re-grade that changed nothing: the student is not told again, but the decision is kept.
    if ((await claimNotification(deps.db, key, 'suppressed')) === 'claimed') await completeNotification(deps.db, key, 'suppressed', 'notify=false');
    log.info({ gradeId: event.gradeId }, 'grade not notified (notify=false)');
    return;
  }
  const notice = await loadGradeNotice(deps.db, event.gradeId);
  // The grade is saved before grading.completed is produced; without it there is nothing
  // true to say. Permanent: the dead-letter topic shows it and it can be re-driven.
  if (notice === null) {
    throw new AppError('NOTIFY_GRADE_MISSING', `grade ${event.gradeId} of submission ${event.submissionId} is not in the database`, { retryable: false });
  }
  const { target } = notice;
  const grade = gradeSummary(notice.grade, target.commitSha, submissionUrl(deps, event.submissionId), log);
  const deliveries = gradeDeliveries(deps, key, grade, target, log);
  if (deliveries.length === 0) {
    log.warn({ gradeId: event.gradeId, course: event.course }, 'no notification channel (GitLab not configured, course has no e-mail or webhook)');
    return;
  }
  await deliverAll(deps.db, key, deliveries, log);
  await stampNotified(deps.db, event.submissionId, deps.now());
  log.info({ gradeId: event.gradeId, channels: deliveries.map((d) => d.channel) }, 'grade notified');
}

function gradeDeliveries(deps: Deps, key: string, grade: GradeSummary, target: NotifyTarget, log: Logger): Delivery[] {
  const out: Delivery[] = [];
  const { gitlab } = deps;
  const where = { projectId: target.projectId, commitSha: grade.commitSha, branch: target.branch };
  if (gitlab === null) {
    log.debug('GitLab not configured: no commit status or comment');
  } else {
    const status = { name: statusName(grade), state: commitState(grade), description: statusDescription(grade), targetUrl: grade.url };
    out.push({ channel: 'gitlab-status', send: () => setStatus(gitlab, where, status) });
    out.push({ channel: 'gitlab-comment', send: () => postFeedback(gitlab, where, feedbackComment(grade)) });
  }
  const course = deps.courses.get(grade.course);
  if (course === undefined) log.warn({ course: grade.course }, 'course not loaded: its e-mail and webhook settings are unknown');
  const email = course?.notify.email ?? null;
  if (email !== null) {
    // async: a bad address (gradeEmail throws) becomes this channel's failure, not the others'.
    out.push({ channel: 'email', send: async () => sendEmail(email, gradeEmail(email, grade), { timeoutMs: deps.options.emailTimeoutMs }) });
  }
  const webhook = course?.notify.webhook ?? null;
  if (webhook !== null) {
    const options = { deliveryId: key, timeoutMs: deps.options.webhookTimeoutMs };
    out.push({ channel: 'webhook', send: () => postWebhook(webhook, webhookBody(grade), options) });
  }
  return out;
}

async function notifyPipelineStatus(deps: Deps, event: Envelope<'pipeline.status'>, log: Logger): Promise<void> {
  const status = event.payload;
  const { gitlab } = deps;
  if (gitlab === null) {
    log.debug({ state: status.state }, 'GitLab not configured: pipeline status not shown');
    return;
  }
  const bestEffort = status.state === 'queued' || status.state === 'running';
  const ageMs = deps.now().getTime() - Date.parse(event.occurredAt);
  if (bestEffort && ageMs > (deps.options.statusMaxAgeMs ?? 120_000)) {
    log.debug({ state: status.state, ageMs }, 'stale queued/running status dropped');
    return;
  }
  const target = await findNotifyTarget(deps.db, status.submissionId, { queuePosition: status.state === 'queued' });
  // Statuses travel on another topic than grades, so a queued/running one can arrive after
  // the grade; shown then, it would hide the result.
  if (bestEffort && (target?.gradedAt != null || target?.notifiedAt != null)) {
    log.debug({ state: status.state }, 'submission already graded: queued/running status not shown');
    return;
  }
  const projectId = status.projectId ?? target?.projectId ?? null;
  if (projectId === null) {
    log.warn({ submissionId: status.submissionId, state: status.state }, 'no GitLab project known for this submission; status not shown');
    return;
  }
  const ahead = status.state === 'queued' ? (target?.queuePosition ?? 0) : null;
  const deliveries = statusDeliveries(gitlab, { projectId, commitSha: status.commitSha }, status, ahead, submissionUrl(deps, status.submissionId));
  const key = `status:${status.submissionId}:${status.state}`;
  if (!bestEffort) return deliverAll(deps.db, key, deliveries, log);
  try {
    await deliverAll(deps.db, key, deliveries, log);
  } catch (error) {
    // GitLab down or refusing, after the client's own bounded retries: the next status or the
    // grade supersedes this one, so it is dropped rather than retried. Database errors still
    // propagate: they say nothing about whether the status is worth showing.
    if (!(error instanceof AppError && error.code.startsWith('GITLAB_'))) throw error;
    log.warn({ err: error, state: status.state, submissionId: status.submissionId }, 'queued/running status not shown on GitLab; dropped');
  }
}

function statusDeliveries(
  gitlab: GitLabClient, where: { projectId: number; commitSha: string },
  status: Envelope<'pipeline.status'>['payload'], ahead: number | null, url: string | null,
): Delivery[] {
  const plan = planPipelineStatus(status, ahead);
  const out: Delivery[] = [];
  const line = plan.status;
  if (line !== null) {
    const input = { name: statusName(status), state: line.state, description: line.description, targetUrl: url };
    out.push({ channel: 'gitlab-status', send: () => setStatus(gitlab, where, input) });
  }
  const comment = plan.comment;
  if (comment !== null) out.push({ channel: 'gitlab-comment', send: () => postCommitComment(gitlab, where, comment) });
  return out;
}

/**
 * Every channel is claimed in one statement, then tried even when one fails, so GitLab being
 * down does not hold up the e-mail; then the failure (the only one, or all of them together)
 * is thrown. Retryable if any part is: the retry skips the channels already sent.
 */
async function deliverAll(db: Database, key: string, deliveries: readonly Delivery[], log: Logger): Promise<void> {
  if (deliveries.length === 0) return;
  const claims = await claimNotifications(db, key, deliveries.map((delivery) => delivery.channel));
  const results = await Promise.allSettled(deliveries.map((delivery) => deliverClaimed(db, key, delivery, claims.get(delivery.channel) ?? 'in-progress', log)));
  const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [{ channel: deliveries[i]!.channel, error: result.reason as unknown }] : []));
  if (failures.length === 0) return;
  if (failures.length === 1) throw failures[0]!.error;
  const text = failures.map((f) => `${f.channel}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; ');
  throw new AppError('NOTIFY_FAILED', `notification ${key} failed on ${failures.length} channels: ${text}`, {
    retryable: failures.some((f) => isRetryable(f.error)),
    cause: new AggregateError(failures.map((f) => f.error)),
    details: { channels: failures.map((f) => f.channel) },
  });
}

async function deliverClaimed(db: Database, key: string, delivery: Delivery, claim: ClaimResult, log: Logger): Promise<void> {
  if (claim === 'sent') {
    log.debug({ key, channel: delivery.channel }, 'already notified on this channel');
    return;
  }
  if (claim === 'in-progress') {
    // Another delivery is sending it, or died doing so: retried until it is sent or the claim
    // expires (CLAIM_LEASE_MS) and this delivery takes it over.
    throw new AppError('NOTIFY_IN_PROGRESS', `notification ${key} on ${delivery.channel} is claimed by another delivery; trying again later`, { retryable: true });
  }
  let detail: string;
  try {
    detail = await delivery.send();
  } catch (error) {
    await releaseNotification(db, key, delivery.channel).catch((releaseError: unknown) => {
      log.error({ err: releaseError, key, channel: delivery.channel }, 'could not give back a notification claim; it will not be sent unless its row is deleted');
    });
    throw error;
  }
  await completeNotification(db, key, delivery.channel, detail);
}

function submissionUrl(deps: Deps, submissionId: string): string | null {
  const base = deps.config.http.publicUrl;
  return base === null ? null : `${base.replace(/\/+$/, '')}/api/submissions/${submissionId}`;
}

function gradeSummary(stored: StoredGrade, commitSha: string, url: string | null, log: Logger): GradeSummary {
  return {
    submissionId: stored.submissionId, course: stored.course, assignment: stored.assignment, student: stored.student,
    commitSha, score: stored.score, maxScore: stored.maxScore, passed: stored.passed, total: stored.total,
    verdict: gradeVerdict(stored.verdict, log), verdictMessage: stored.message, latePenaltyPercent: stored.latePenaltyPercent,
    tests: stored.tests, url,
  };
}

/** The runner's `completed` is a graded run; an unknown verdict is shown as graded, with its score. */
function gradeVerdict(verdict: string, log: Logger): GradeVerdict {
  if ((GRADE_VERDICTS as readonly string[]).includes(verdict)) return verdict as GradeVerdict;
  if (verdict !== 'completed') log.warn({ verdict }, 'unknown grade verdict; shown as graded');
  return 'graded';
}
