// Database adapters: PostgreSQL through pg (DATABASE_URL) or embedded PGlite under the data
// directory; numbered migrations; named, parameterised queries.
// Glossary — inbox (processed_events): which consumer group handled which event id, so that a
// redelivered event has no second effect.
export { openDatabase, DatabaseError, isDatabaseError } from './database.ts';
export type { Database, Queryable, QueryResult, OpenDatabaseOptions, DbErrorCode } from './database.ts';
export { migrate, loadMigrations } from './migrate.ts';
export type { Migration, MigrationResult } from './migrate.ts';
export {
  recordSubmission,
  listSubmissions,
  countSubmissions,
  markEventProcessed,
  storeGitLabEvent,
  INITIAL_SUBMISSION_STATUS,
} from './submissions.ts';
export type { Submission, RecordSubmissionInput, SubmissionFilter, ListSubmissionsFilter, GitLabEventRecord } from './submissions.ts';
export {
  admissionHistory,
  admitSubmission,
  refuseSubmission,
  recordPushOutcome,
  createCheck,
  findCheck,
  latestCheck,
  findCheckByPipeline,
  markCheck,
  markSubmission,
  newerAdmittedSubmission,
} from './checks.ts';
export type { AdmissionHistoryRow, AdmitInput, Check, Executor, NewCheck, Priority, PushOutcome, StudentWork } from './checks.ts';
export {
  insertGrade,
  findGrade,
  gradeOfSubmission,
  submissionForGrading,
  loadGradingTarget,
  finishGrading,
  listCountingGrades,
  submissionDetail,
} from './grades.ts';
export type { Grade, GradeTest, GradeWithTests, GradingSubmission, GradingTarget, GradedCheck, CountingGrade, SubmissionDetail } from './grades.ts';
export {
  claimNotification,
  claimNotifications,
  completeNotification,
  releaseNotification,
  listNotifications,
  findNotifyTarget,
  stampNotified,
  loadGradeNotice,
} from './notifications.ts';
export type { GradeNotice, NotificationChannel, NotifyTarget, StoredGrade, StoredTest, NotificationRecord } from './notifications.ts';
