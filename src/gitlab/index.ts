// The only way into the GitLab API client. Glossary:
// - project id: GitLab's numeric id or the project's full path (`group/project`), sent encoded;
// - commit status: a line in GitLab's pipeline widget for one commit, keyed by `name`;
// - note: a comment; commit comments and merge request notes are separate endpoints;
// - iid: a merge request's number inside its project (the `!12` in the UI), not its global id.
// Errors are AppError: GITLAB_REJECTED (4xx, permanent), GITLAB_UNAVAILABLE (429/5xx/network
// after retries, retryable), GITLAB_BAD_RESPONSE (answer of an unexpected shape),
// GITLAB_INVALID_REQUEST (bad argument), GITLAB_CONFIG (bad GITLAB_URL or GITLAB_TOKEN).
export { GitLabClient, NOTE_LIMIT, STATUS_TEXT_LIMIT } from './client.ts';
export { COMMIT_STATES } from './types.ts';
export type {
  CommitComment, CommitState, CommitStatus, CommitStatusInput, CreatePipelineInput, GitLabClientOptions,
  MergeRequestNote, MergeRequestRef, Pipeline, ProjectId, SetCommitStatusResult,
} from './types.ts';
export { isPipelineFinished } from './pipeline-status.ts';
