// The way into notify: telling the student. Glossary:
// - channel: one way a student is told: `gitlab-status` (the line in GitLab's pipeline widget),
//   `gitlab-comment` (one note on the merge request, else on the commit), `email`, `webhook`;
//   `suppressed` records a grade deliberately not told (notify=false);
// - notification key: what "never twice" is about: `grade:<gradeId>` for a grade,
//   `status:<submissionId>:<state>` for a pipeline status; one notifications row per key and
//   channel is the claim that lets exactly one delivery send;
// - best effort: queued/running statuses, dropped with a warning when GitLab does not take them
//   (the next status or the grade supersedes them); everything else is retried until delivered;
// - GradeSummary: what a grade notification shows, built from the grades and test_results rows.
export { notificationHandler } from './sender.ts';
export type { NotifyContext, NotifyOptions } from './sender.ts';
export { planPipelineStatus, queuedDescription } from './channels/gitlab-status.ts';
export type { StatusLine, StatusPlan } from './channels/gitlab-status.ts';
export { gradeEmail } from './channels/email.ts';
export type { EmailMessage } from './channels/email.ts';
export { DELIVERY_HEADER, SIGNATURE_HEADER, signature, webhookBody } from './channels/webhook.ts';
export type { WebhookBody } from './channels/webhook.ts';
export {
  MAX_TABLE_ROWS, STATUS_DESCRIPTION_LIMIT, VERDICT_LABELS, commitState, feedbackComment, formatNumber, statusDescription, statusName,
} from './format.ts';
export { GRADE_VERDICTS } from './types.ts';
export type { GradedTest, GradedTestStatus, GradeSummary, GradeVerdict } from './types.ts';
