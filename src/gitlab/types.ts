// What callers of the GitLab client pass in and get back. Only the fields Gradeflow uses
// are modelled; GitLab's responses carry many more, which are ignored on purpose.
import type { Logger } from '../logging/index.ts';

/** A numeric project id or its full path (`group/sub/project`). */
export type ProjectId = number | string;

/** The states GitLab accepts for an external commit status. */
export type CommitState = 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped';

export const COMMIT_STATES: readonly CommitState[] = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];

export interface GitLabClientOptions {
  /** GITLAB_URL: the instance root (`https://gitlab.example.com`); `/api/v4` is added. */
  readonly baseUrl: string;
  /** GITLAB_TOKEN: sent as PRIVATE-TOKEN, never logged or put in an error. */
  readonly token: string;
  readonly log?: Logger;
  /** Retries after the first attempt for 429, 5xx and network errors (default 5). */
  readonly maxRetries?: number;
  /** Per attempt, including reading the body (default 30 000). */
  readonly timeoutMs?: number;
  /** Injected by tests to record delays instead of waiting. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly userAgent?: string;
}

export interface CommitStatusInput {
  readonly state: CommitState;
  /** GitLab's `name` (alias `context`): one status line per name on the commit. */
  readonly name: string;
  /** Cut to 255 characters, GitLab's limit. */
  readonly description?: string;
  /** Left out (with a warning) when longer than 255 characters: a cut URL would be a broken link. */
  readonly targetUrl?: string;
  readonly ref?: string;
  readonly pipelineId?: number;
}

export interface CommitStatus {
  readonly id: number;
  readonly sha: string;
  readonly name: string;
  readonly status: string;
  readonly description: string | null;
  readonly targetUrl: string | null;
}

/**
 * GitLab answers 400 "Cannot transition status via :run from :running" when a status is set
 * to the non-final state it already has. With at-least-once delivery that is a repeat of our
 * own earlier call, so it is reported as `applied: false` instead of an error.
 */
export type SetCommitStatusResult =
  | { readonly applied: true; readonly status: CommitStatus }
  | { readonly applied: false; readonly currentState: string; readonly message: string };

export interface CommitComment {
  readonly note: string;
  readonly createdAt: string | null;
}

export interface MergeRequestNote {
  readonly id: number;
  readonly body: string;
}

export interface CreatePipelineInput {
  readonly ref: string;
  /** Sent as `[{ key, value }]` (CI/CD variables of type env_var). */
  readonly variables?: Readonly<Record<string, string>>;
}

export interface Pipeline {
  readonly id: number;
  readonly iid: number | null;
  readonly projectId: number;
  readonly sha: string;
  readonly ref: string;
  /** created, waiting_for_resource, preparing, pending, running, success, failed, canceled, skipped, manual, scheduled. */
  readonly status: string;
  readonly webUrl: string | null;
}

export interface MergeRequestRef {
  readonly id: number;
  readonly iid: number;
  readonly projectId: number;
  readonly state: string;
  readonly sourceBranch: string | null;
  readonly targetBranch: string | null;
  readonly webUrl: string | null;
}
