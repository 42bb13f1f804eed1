// A stand-in for GitLab's REST API v4 over real HTTP, the only one tests may use. It answers
// the endpoints GitLabClient calls with GitLab's documented shapes, checks PRIVATE-TOKEN,
// records every call and can be told to fail, so retries and errors are tested end to end.
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EMPTY_TEST_REPORT, key, registerRoutes } from './gitlab-double-routes.ts';
import type { DoubleNote, DoublePipeline, DoubleState, DoubleStatus, MergeRequestSpec } from './gitlab-double-routes.ts';
import { registerReconcileRoutes } from './gitlab-double-reconcile.ts';
import type { DoubleProjectSpec, DoublePushEventSpec, ReconcileState } from './gitlab-double-reconcile.ts';

export type { DoubleNote, DoublePipeline, DoubleStatus, MergeRequestSpec } from './gitlab-double-routes.ts';
export { EMPTY_TEST_REPORT } from './gitlab-double-routes.ts';
export type { DoubleProjectSpec, DoublePushEventSpec } from './gitlab-double-reconcile.ts';

// Not GitLab's glpat- shape on purpose: nothing here should look like a leaked real token.
export const DOUBLE_TOKEN = 'test-double-token-0123456789abcdef';

export interface GitLabDoubleOptions {
  /** The token the double accepts (default DOUBLE_TOKEN). */
  readonly token?: string;
}

export interface RecordedCall {
  readonly method: string;
  /** As received, still percent-encoded and without the query: `/api/v4/projects/a%2Fb/pipeline`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Whether PRIVATE-TOKEN was sent and matched; the header itself is not kept. */
  readonly token: 'valid' | 'invalid' | 'missing';
  /** Lower-case names, PRIVATE-TOKEN removed. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body, or undefined for none. */
  readonly body: unknown;
}

export interface FailOptions {
  /** How many matching calls fail (default 1). */
  readonly times?: number;
  /** Only calls with this method (default any). */
  readonly method?: string;
  /** Sent as the Retry-After header: seconds, or an HTTP date string. */
  readonly retryAfter?: number | string;
  /** The JSON body to answer with (default `{ message: "<status> ..." }`). */
  readonly body?: unknown;
  /** Answer with the request echoed back, headers and all, as some proxies and GitLab debug pages do. */
  readonly echoRequest?: boolean;
  /** Close the connection without answering: a network error for the client. */
  readonly dropConnection?: boolean;
  /** Never answer: the client's timeout has to end the call. */
  readonly hang?: boolean;
  /** Extra response headers, e.g. a Location for a redirect. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface GitLabDouble {
  /** The instance root, the value of GITLAB_URL (no /api/v4). */
  readonly url: string;
  readonly token: string;
  readonly calls: RecordedCall[];
  readonly pipelines: ReadonlyMap<number, DoublePipeline>;
  readonly statuses: readonly DoubleStatus[];
  readonly notes: readonly DoubleNote[];
  /** Calls whose raw path contains `pattern` (or matches it) fail with `status`. */
  failNext(pattern: string | RegExp, status: number, options?: FailOptions): void;
  setBranchHead(projectId: number | string, branch: string, sha: string): void;
  setMergeRequests(projectId: number | string, sha: string, mergeRequests: readonly MergeRequestSpec[]): void;
  setPipelineStatus(pipelineId: number, status: string): void;
  /** Ends a pipeline; GET test_report then answers `testReport` (JSON like test_report.json). */
  finishPipeline(pipelineId: number, status: 'success' | 'failed' | 'canceled' | 'skipped', testReport?: unknown): void;
  /** The projects GET /groups/:path/projects and GET /projects/:id know (replaces earlier ones). */
  setProjects(projects: readonly DoubleProjectSpec[]): void;
  /** A push GitLab recorded, listed by GET /projects/:id/events (newest first). */
  addPushEvent(projectId: number, event: DoublePushEventSpec): void;
  close(): Promise<void>;
}

interface FailureRule extends FailOptions {
  readonly pattern: string | RegExp;
  readonly status: number;
  remaining: number;
}

export async function startGitLabDouble(options: GitLabDoubleOptions = {}): Promise<GitLabDouble> {
  const token = options.token ?? DOUBLE_TOKEN;
  const state: DoubleState & ReconcileState = {
    url: '', nextId: 100, pipelines: new Map(), statuses: [], notes: [], branches: new Map(), mergeRequests: new Map(),
    projects: [], pushEvents: new Map(),
  };
  const calls: RecordedCall[] = [];
  const failures: FailureRule[] = [];
  // Merge request notes may be 1,000,000 characters; Fastify's default limit is 1 MiB.
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024, forceCloseConnections: true });
  const gate = async (request: FastifyRequest, reply: FastifyReply) => {
    const call = record(request, token);
    calls.push(call);
    const failure = takeFailure(failures, call);
    if (failure !== null) return fail(request, reply, failure);
    if (call.token !== 'valid') return reply.code(401).send({ message: '401 Unauthorized' });
    return undefined;
  };
  app.addHook('preHandler', gate);
  // The preHandler hook runs for unknown routes too, so they are recorded and checked as well.
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: '404 Not Found' }));
  await app.register(async (api) => {
    registerRoutes(api, state);
    registerReconcileRoutes(api, state);
  }, { prefix: '/api/v4' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the GitLab double has no TCP address');
  state.url = `http://127.0.0.1:${address.port}`;
  const { pipelines, statuses, notes } = state;
  return { url: state.url, token, calls, pipelines, statuses, notes, ...controls(state, failures), close: () => app.close() };
}

type Controls = Pick<GitLabDouble, 'failNext' | 'setBranchHead' | 'setMergeRequests' | 'setPipelineStatus' | 'finishPipeline' | 'setProjects' | 'addPushEvent'>;

function controls(state: DoubleState & ReconcileState, failures: FailureRule[]): Controls {
  return {
    setProjects: (projects) => {
      state.projects = [...projects];
    },
    addPushEvent: (projectId, event) => {
      const events = state.pushEvents.get(String(projectId)) ?? [];
      events.push({ ...event, id: state.nextId++ });
      state.pushEvents.set(String(projectId), events);
    },
    failNext: (pattern, status, extra = {}) => void failures.push({ ...extra, pattern, status, remaining: extra.times ?? 1 }),
    setBranchHead: (projectId, branch, sha) => void state.branches.set(key(projectId, branch), sha),
    setMergeRequests: (projectId, sha, list) => void state.mergeRequests.set(key(projectId, sha), list),
    setPipelineStatus: (pipelineId, status) => {
      pipelineOf(state, pipelineId).status = status;
    },
    finishPipeline: (pipelineId, status, testReport) => {
      const pipeline = pipelineOf(state, pipelineId);
      pipeline.status = status;
      pipeline.testReport = testReport ?? EMPTY_TEST_REPORT;
    },
  };
}

function pipelineOf(state: DoubleState, id: number): DoublePipeline {
  const pipeline = state.pipelines.get(id);
  if (pipeline === undefined) throw new Error(`the GitLab double has no pipeline ${id}`);
  return pipeline;
}

function record(request: FastifyRequest, token: string): RecordedCall {
  const [path = '', search = ''] = request.url.split('?', 2);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name !== 'private-token' && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const sent = request.headers['private-token'];
  const verdict = sent === undefined ? 'missing' : sent === token ? 'valid' : 'invalid';
  return {
    method: request.method, path, query: Object.fromEntries(new URLSearchParams(search)),
    token: verdict, headers, body: request.body ?? undefined,
  };
}

function takeFailure(failures: FailureRule[], call: RecordedCall): FailureRule | null {
  const rule = failures.find(
    (candidate) =>
      candidate.remaining > 0 &&
      (candidate.method === undefined || candidate.method.toUpperCase() === call.method) &&
      (typeof candidate.pattern === 'string' ? call.path.includes(candidate.pattern) : candidate.pattern.test(call.path)),
  );
  if (rule === undefined) return null;
  rule.remaining -= 1;
  return rule;
}

function fail(request: FastifyRequest, reply: FastifyReply, rule: FailureRule): FastifyReply {
  if (rule.dropConnection === true || rule.hang === true) {
    reply.hijack();
    // A hung request ends when the client gives up and closes its side.
    if (rule.dropConnection === true) request.raw.socket.destroy();
    return reply;
  }
  if (rule.retryAfter !== undefined) reply.header('retry-after', String(rule.retryAfter));
  for (const [name, value] of Object.entries(rule.headers ?? {})) reply.header(name, value);
  const body = rule.echoRequest === true
    ? { message: `${rule.status} echo: ${JSON.stringify({ method: request.method, url: request.url, headers: request.headers })}` }
    : rule.body ?? { message: `${rule.status} injected failure` };
  return reply.code(rule.status).send(body);
}
