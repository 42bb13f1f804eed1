// The reads the reconciler needs from GitLab: a course namespace's projects, one project, a
// branch head and the push events of a project. Composed beside GitLabClient instead of added
// to it: lists are paginated, and GitLabTransport.send returns the body without the headers
// (x-next-page, Link) that say whether another page exists. The fetch loop below therefore
// repeats the transport's rules with its own helpers: 429/5xx/network errors retried with
// Retry-After or backoff, redirects never followed (fetch would resend PRIVATE-TOKEN), every
// text that leaves this file redacted, the same error codes.
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { AppError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { GitLabClient } from './client.ts';
import { projectSegment, segment } from './paths.ts';
import { createRedactor, describeNetworkError, redactedError } from './redact.ts';
import type { Redact } from './redact.ts';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry-policy.ts';
import { gitlabMessage } from './transport.ts';
import type { GitLabClientOptions, ProjectId } from './types.ts';

export interface ProjectInfo {
  readonly id: number;
  readonly path: string;
  /** null for a project with an empty repository. */
  readonly defaultBranch: string | null;
  readonly webUrl: string | null;
  readonly httpUrl: string | null;
}

/** A push GitLab recorded, with GitLab's own clock: students cannot set `createdAt`. */
export interface PushEvent {
  readonly createdAt: Date;
  readonly commitFrom: string | null;
  readonly commitCount: number;
  readonly author: { readonly id: number | null; readonly username: string | null; readonly name: string | null };
}

const PER_PAGE = 100;
/** A namespace of 100 000 projects is not a course; a server that never stops paging is broken. */
const MAX_LIST_PAGES = 1000;
/** Push events are read newest first; the head's push is near the top unless far older. */
export const DEFAULT_EVENT_PAGES = 10;

const text = z.string().nullish().transform((value) => value ?? null);
const Project = z
  .object({ id: z.number().int(), path_with_namespace: z.string(), default_branch: text, web_url: text, http_url_to_repo: text })
  .transform((raw): ProjectInfo => ({
    id: raw.id, path: raw.path_with_namespace, defaultBranch: raw.default_branch, webUrl: raw.web_url, httpUrl: raw.http_url_to_repo,
  }));
const Event = z.object({
  created_at: z.string(),
  author_id: z.number().int().nullish(),
  author_username: text,
  author: z.object({ name: text }).nullish(),
  push_data: z
    .object({ action: text, ref_type: text, ref: text, commit_from: text, commit_to: text, commit_count: z.number().int().nullish() })
    .nullish(),
});
type RawEvent = z.infer<typeof Event>;

export class GitLabReadApi {
  readonly #client: GitLabClient;
  readonly #token: string;
  readonly #apiBase: string;
  readonly #redact: Redact;
  readonly #options: Required<Pick<GitLabClientOptions, 'maxRetries' | 'timeoutMs' | 'sleep' | 'userAgent'>>;
  readonly #log: Logger | undefined;

  constructor(options: GitLabClientOptions, client?: GitLabClient) {
    // Built first: it refuses a malformed GITLAB_URL or GITLAB_TOKEN with GITLAB_CONFIG.
    this.#client = client ?? new GitLabClient(options);
    this.#token = options.token;
    this.#redact = createRedactor(options.token);
    this.#apiBase = apiBaseOf(options.baseUrl);
    this.#log = options.log?.child({ component: 'gitlab' });
    this.#options = {
      maxRetries: options.maxRetries ?? 5,
      timeoutMs: options.timeoutMs ?? 30_000,
      sleep: options.sleep ?? ((ms) => delay(ms)),
      userAgent: options.userAgent ?? 'gradeflow',
    };
  }

  /** Every project under the group and its subgroups, all pages. */
  async listGroupProjects(groupPath: string): Promise<ProjectInfo[]> {
    const query = `include_subgroups=true&per_page=${PER_PAGE}&order_by=id&sort=asc`;
    const projects: ProjectInfo[] = [];
    let path: string | null = `/groups/${segment(groupPath, 'group path')}/projects?${query}`;
    for (let page = 0; path !== null && page < MAX_LIST_PAGES; page += 1) {
      const answer = await this.#get('listGroupProjects', path);
      projects.push(...this.#parse('listGroupProjects', z.array(Project), answer.json));
      path = nextPagePath(answer.headers, path, this.#apiBase);
    }
    return projects;
  }

  /** The project, or null when GitLab does not know it (deleted, or no access). */
  async getProject(projectId: ProjectId): Promise<ProjectInfo | null> {
    const answer = await this.#orNull(this.#get('getProject', `/projects/${projectSegment(projectId)}`));
    return answer === null ? null : this.#parse('getProject', Project, answer.json);
  }

  /** The branch's head commit, or null when the branch (or the repository) does not exist. */
  async getBranchHead(projectId: ProjectId, branch: string): Promise<string | null> {
    return this.#orNull(this.#client.getBranchHead(projectId, branch));
  }

  /**
   * The newest push of `sha` onto `branch`: when the branch last became this head, by GitLab's
   * clock. Null when no such event is among the newest `maxPages` pages.
   */
  async findPushEvent(projectId: ProjectId, branch: string, sha: string, maxPages = DEFAULT_EVENT_PAGES): Promise<PushEvent | null> {
    let path: string | null = `/projects/${projectSegment(projectId)}/events?action=pushed&sort=desc&per_page=${PER_PAGE}`;
    for (let page = 0; path !== null && page < maxPages; page += 1) {
      const answer = await this.#get('findPushEvent', path);
      const found = this.#parse('findPushEvent', z.array(Event), answer.json).find((event) => isPushOf(event, branch, sha));
      if (found !== undefined) return toPushEvent(found);
      path = nextPagePath(answer.headers, path, this.#apiBase);
    }
    return null;
  }

  async #orNull<T>(call: Promise<T>): Promise<T | null> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof AppError && error.code === 'GITLAB_REJECTED' && error.details['status'] === 404) return null;
      throw error;
    }
  }

  #parse<T>(operation: string, schema: z.ZodType<T>, json: unknown): T {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
    // Paths and zod's messages only, never values: a value could be anything GitLab echoed.
    const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new AppError('GITLAB_BAD_RESPONSE', this.#redact(`unexpected answer to ${operation}: ${problems.join('; ')}`), {
      retryable: false, details: { operation },
    });
  }

  async #get(operation: string, path: string): Promise<{ json: unknown; headers: Headers }> {
    for (let retry = 0; ; retry += 1) {
      const attempt = await this.#attempt(operation, path);
      if (attempt.ok) return attempt;
      const where = { operation, path: this.#redact(path) };
      if (retry >= this.#options.maxRetries) {
        throw new AppError('GITLAB_UNAVAILABLE', `GitLab did not complete ${operation} (GET ${where.path}) after ${retry + 1} attempts: ${attempt.reason}`, {
          retryable: true, cause: attempt.cause, details: { ...where, method: 'GET', attempts: retry + 1, lastError: attempt.reason },
        });
      }
      // Retry-After is GitLab saying when it can take the request; sooner only earns another 429.
      const delayMs = attempt.retryAfterMs ?? backoffDelay(retry + 1);
      this.#log?.warn({ ...where, attempt: retry + 1, reason: attempt.reason, delayMs }, 'GitLab request failed, retrying');
      await this.#options.sleep(delayMs);
    }
  }

  async #attempt(operation: string, path: string): Promise<Attempt> {
    const redact = this.#redact;
    let response: Response;
    let body: string;
    try {
      response = await fetch(this.#apiBase + path, {
        headers: { 'PRIVATE-TOKEN': this.#token, accept: 'application/json', 'user-agent': this.#options.userAgent },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      body = await response.text();
    } catch (error) {
      return { ok: false, reason: redact(describeNetworkError(error)), retryAfterMs: null, cause: redactedError(error, redact) };
    }
    const { status } = response;
    if (status >= 200 && status < 300) return { ok: true, json: this.#json(operation, body), headers: response.headers };
    const message = status >= 300 && status < 400 ? 'redirected; check GITLAB_URL' : gitlabMessage(body, redact);
    const reason = `HTTP ${status}${message === '' ? '' : ` ${message}`}`;
    if (isRetryableStatus(status)) return { ok: false, reason, retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), Date.now()) };
    throw new AppError('GITLAB_REJECTED', `GitLab rejected ${operation} (GET ${redact(path)}): ${reason}`, {
      retryable: false, details: { status, operation, method: 'GET', path: redact(path), gitlabMessage: message },
    });
  }

  #json(operation: string, body: string): unknown {
    try {
      return JSON.parse(body);
    } catch {
      throw new AppError('GITLAB_BAD_RESPONSE', `GitLab answered ${operation} with a body that is not JSON`, { retryable: false, details: { operation } });
    }
  }
}

type Attempt =
  | { readonly ok: true; readonly json: unknown; readonly headers: Headers }
  | { readonly ok: false; readonly reason: string; readonly retryAfterMs: number | null; readonly cause?: Error };

function isPushOf(event: RawEvent, branch: string, sha: string): boolean {
  const push = event.push_data;
  // A bulk push of many refs has no single commit_to; a removal points nowhere.
  return push != null && push.ref_type === 'branch' && push.ref === branch && push.commit_to === sha && push.action !== 'removed'
    && !Number.isNaN(Date.parse(event.created_at));
}

function toPushEvent(event: RawEvent): PushEvent {
  return {
    createdAt: new Date(event.created_at),
    commitFrom: event.push_data?.commit_from ?? null,
    commitCount: event.push_data?.commit_count ?? 0,
    author: { id: event.author_id ?? null, username: event.author_username, name: event.author?.name ?? null },
  };
}

/**
 * The path of the next page, below /api/v4. Offset pagination says it in x-next-page (empty on
 * the last page); keyset pagination only in Link rel="next", which is followed only when it
 * points below our own API base, so the token never goes to a host an answer names.
 */
export function nextPagePath(headers: Headers, current: string, apiBase: string): string | null {
  const nextPage = headers.get('x-next-page');
  if (nextPage !== null) {
    if (!/^\d+$/.test(nextPage.trim())) return null;
    const [base = '', query = ''] = current.split('?', 2);
    const params = new URLSearchParams(query);
    params.set('page', nextPage.trim());
    return `${base}?${params.toString()}`;
  }
  const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(headers.get('link') ?? '')?.[1];
  if (next === undefined || !next.startsWith(`${apiBase}/`)) return null;
  return next.slice(apiBase.length);
}

/** `https://host[/prefix]/api/v4`; GitLabClient has already refused anything malformed. */
function apiBaseOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  const root = `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  return root.endsWith('/api/v4') ? root : `${root}/api/v4`;
}
