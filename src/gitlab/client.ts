// GitLab REST API v4, only the calls Gradeflow makes. Transport concerns (retries, redaction,
// error codes) live in transport.ts; this file maps methods to endpoints and validates answers.
import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { positiveInt, projectSegment, segment } from './paths.ts';
import { createRedactor } from './redact.ts';
import type { Redact } from './redact.ts';
import {
  BranchResponse, CommitCommentResponse, CommitStatusResponse, MergeRequestListResponse,
  MergeRequestNoteResponse, PipelineResponse, TestReportResponse,
} from './schemas.ts';
import { GitLabTransport } from './transport.ts';
import type { ApiRequest } from './transport.ts';
import type {
  CommitComment, CommitStatusInput, CreatePipelineInput, GitLabClientOptions, MergeRequestNote,
  MergeRequestRef, Pipeline, ProjectId, SetCommitStatusResult,
} from './types.ts';

/** GitLab's limits, in characters (Ruby counts code points). */
export const STATUS_TEXT_LIMIT = 255;
export const NOTE_LIMIT = 1_000_000;
const NOTE_CUT_SUFFIX = '\n\n…(cut to fit GitLab’s limit)';

/** Every method is async, so a bad argument is a rejected promise like any other failure. */
export class GitLabClient {
  readonly #transport: GitLabTransport;
  readonly #redact: Redact;
  readonly #log: Logger | undefined;

  constructor(options: GitLabClientOptions) {
    checkToken(options.token);
    this.#redact = createRedactor(options.token);
    this.#log = options.log?.child({ component: 'gitlab' });
    this.#transport = new GitLabTransport({
      apiBase: apiBase(options.baseUrl, this.#redact),
      token: options.token,
      userAgent: options.userAgent ?? 'gradeflow',
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 5,
      sleep: options.sleep ?? ((ms) => delay(ms)),
      log: this.#log,
      redact: this.#redact,
    });
  }

  async setCommitStatus(projectId: ProjectId, sha: string, input: CommitStatusInput): Promise<SetCommitStatusResult> {
    const body = this.#statusBody(input);
    const path = `/projects/${projectSegment(projectId)}/statuses/${segment(sha, 'commit SHA')}`;
    try {
      const status = await this.#call(CommitStatusResponse, { operation: 'setCommitStatus', method: 'POST', path, body });
      return { applied: true, status };
    } catch (error) {
      const repeat = repeatedTransition(error, input.state);
      if (repeat === null) throw error;
      this.#log?.debug({ state: input.state, name: input.name }, 'commit status already in this state');
      return repeat;
    }
  }

  async postCommitComment(projectId: ProjectId, sha: string, note: string): Promise<CommitComment> {
    const path = `/projects/${projectSegment(projectId)}/repository/commits/${segment(sha, 'commit SHA')}/comments`;
    const body = { note: cut(note, NOTE_LIMIT, NOTE_CUT_SUFFIX) };
    return this.#call(CommitCommentResponse, { operation: 'postCommitComment', method: 'POST', path, body });
  }

  async postMergeRequestNote(projectId: ProjectId, mrIid: number, body: string): Promise<MergeRequestNote> {
    const path = `/projects/${projectSegment(projectId)}/merge_requests/${positiveInt(mrIid, 'merge request iid')}/notes`;
    const payload = { body: cut(body, NOTE_LIMIT, NOTE_CUT_SUFFIX) };
    return this.#call(MergeRequestNoteResponse, { operation: 'postMergeRequestNote', method: 'POST', path, body: payload });
  }

  async createPipeline(projectId: ProjectId, input: CreatePipelineInput): Promise<Pipeline> {
    const body: Record<string, unknown> = { ref: input.ref };
    if (input.variables !== undefined) {
      body['variables'] = Object.entries(input.variables).map(([key, value]) => ({ key, value }));
    }
    const path = `/projects/${projectSegment(projectId)}/pipeline`;
    return this.#call(PipelineResponse, { operation: 'createPipeline', method: 'POST', path, body });
  }

  async getPipeline(projectId: ProjectId, pipelineId: number): Promise<Pipeline> {
    const path = `/projects/${projectSegment(projectId)}/pipelines/${positiveInt(pipelineId, 'pipeline id')}`;
    return this.#call(PipelineResponse, { operation: 'getPipeline', method: 'GET', path });
  }

  /** The raw JSON, for parseGitLabTestReport in src/grading/junit (which checks its shape). */
  async getTestReport(projectId: ProjectId, pipelineId: number): Promise<Record<string, unknown>> {
    const path = `/projects/${projectSegment(projectId)}/pipelines/${positiveInt(pipelineId, 'pipeline id')}/test_report`;
    return this.#call(TestReportResponse, { operation: 'getTestReport', method: 'GET', path });
  }

  /** The SHA of the branch's head commit. */
  async getBranchHead(projectId: ProjectId, branch: string): Promise<string> {
    const path = `/projects/${projectSegment(projectId)}/repository/branches/${segment(branch, 'branch')}`;
    const answer = await this.#call(BranchResponse, { operation: 'getBranchHead', method: 'GET', path });
    return answer.commit.id;
  }

  async findMergeRequestsForCommit(projectId: ProjectId, sha: string): Promise<MergeRequestRef[]> {
    const path = `/projects/${projectSegment(projectId)}/repository/commits/${segment(sha, 'commit SHA')}/merge_requests`;
    return this.#call(MergeRequestListResponse, { operation: 'findMergeRequestsForCommit', method: 'GET', path });
  }

  #statusBody(input: CommitStatusInput): Record<string, unknown> {
    const body: Record<string, unknown> = { state: input.state, name: input.name };
    if (input.description !== undefined) body['description'] = cut(input.description, STATUS_TEXT_LIMIT, '…');
    if (input.targetUrl !== undefined && [...input.targetUrl].length <= STATUS_TEXT_LIMIT) {
      body['target_url'] = input.targetUrl;
    } else if (input.targetUrl !== undefined) {
      // Cutting a URL would make a broken link; the status itself matters more than its link.
      this.#log?.warn({ length: input.targetUrl.length }, 'commit status target URL over 255 characters left out');
    }
    if (input.ref !== undefined) body['ref'] = input.ref;
    if (input.pipelineId !== undefined) body['pipeline_id'] = input.pipelineId;
    return body;
  }

  async #call<T>(schema: z.ZodType<T>, request: ApiRequest): Promise<T> {
    const json = await this.#transport.send(request);
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    // Paths and zod's messages only, never values: a value could be anything GitLab echoed.
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new AppError('GITLAB_BAD_RESPONSE', this.#redact(`unexpected answer to ${request.operation}: ${problems.join('; ')}`), {
      retryable: false,
      details: { operation: request.operation },
    });
  }
}

/** `Cannot transition status via :run from :running` for the state we asked for: a repeat. */
function repeatedTransition(error: unknown, state: string): SetCommitStatusResult | null {
  if (!(error instanceof AppError) || error.code !== 'GITLAB_REJECTED' || error.details['status'] !== 400) return null;
  const message = String(error.details['gitlabMessage'] ?? '');
  const match = /Cannot transition status via :\w+ from :(\w+)/.exec(message);
  if (match === null || match[1] !== state) return null;
  return { applied: false, currentState: state, message };
}

/** Cuts to `limit` code points, the last ones replaced by `suffix`. */
function cut(text: string, limit: number, suffix: string): string {
  const chars = [...text];
  if (chars.length <= limit) return text;
  return chars.slice(0, limit - [...suffix].length).join('') + suffix;
}

function checkToken(token: string): void {
  // A token with spaces or control characters would make fetch throw an error that quotes it.
  if (!/^[\x21-\x7e]+$/.test(token)) {
    throw new AppError('GITLAB_CONFIG', 'GITLAB_TOKEN is empty or contains characters a token cannot have', { retryable: false });
  }
}

/** `https://host[/prefix]` plus `/api/v4`. Credentials, a query or a fragment are refused, not stripped. */
function apiBase(baseUrl: string, redact: Redact): string {
  const problem = (why: string) => new AppError('GITLAB_CONFIG', redact(`GITLAB_URL ${why}`), { retryable: false });
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw problem('is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw problem('must start with http:// or https://');
  if (url.username !== '' || url.password !== '') throw problem('must not contain credentials; the token goes in GITLAB_TOKEN');
  if (url.search !== '' || url.hash !== '') throw problem('must not have a query or a fragment');
  const root = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  return root.endsWith('/api/v4') ? root : `${root}/api/v4`;
}
