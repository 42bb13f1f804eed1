// The GitLab channels: the commit status line and one comment. Each function returns a short
// detail for the notifications record (what was done), and leaves retries and their errors to
// GitLabClient (GITLAB_UNAVAILABLE retryable, GITLAB_REJECTED permanent).
import type { CommitState, GitLabClient, MergeRequestRef } from '../../gitlab/index.ts';

/** Where on GitLab: the student's project and the pushed commit. */
export interface CommitTarget {
  readonly projectId: number;
  readonly commitSha: string;
}

export interface StatusInput {
  readonly name: string;
  readonly state: CommitState;
  readonly description: string;
  /** The submission's page; left out when Gradeflow has no public URL. */
  readonly targetUrl: string | null;
}

export async function setStatus(client: GitLabClient, target: CommitTarget, input: StatusInput): Promise<string> {
  const result = await client.setCommitStatus(target.projectId, target.commitSha, {
    name: input.name,
    state: input.state,
    description: input.description,
    ...(input.targetUrl === null ? {} : { targetUrl: input.targetUrl }),
  });
  // A repeat of our own earlier call (at-least-once delivery) is success, not an error.
  return result.applied ? `status ${input.state}` : `status already ${result.currentState}`;
}

export async function postCommitComment(client: GitLabClient, target: CommitTarget, body: string): Promise<string> {
  await client.postCommitComment(target.projectId, target.commitSha, body);
  return 'commit comment';
}

/**
 * Feedback goes where the student looks: the merge request when the commit was pushed to
 * the source branch of an open one (the commit page is rarely visited then), else the commit.
 */
export async function postFeedback(client: GitLabClient, target: CommitTarget & { readonly branch: string | null }, body: string): Promise<string> {
  const mergeRequest = target.branch === null ? null : await openMergeRequestFrom(client, target, target.branch);
  if (mergeRequest === null) return postCommitComment(client, target, body);
  await client.postMergeRequestNote(mergeRequest.projectId, mergeRequest.iid, body);
  return `merge request !${mergeRequest.iid}`;
}

/** The newest open merge request whose source branch is `branch` and which contains the commit. */
export async function openMergeRequestFrom(client: GitLabClient, target: CommitTarget, branch: string): Promise<MergeRequestRef | null> {
  const candidates = await client.findMergeRequestsForCommit(target.projectId, target.commitSha);
  const open = candidates.filter((mr) => mr.state === 'opened' && mr.sourceBranch === branch);
  return open.reduce<MergeRequestRef | null>((newest, mr) => (newest === null || mr.iid > newest.iid ? mr : newest), null);
}
