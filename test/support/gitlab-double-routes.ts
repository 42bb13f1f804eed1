// The endpoints of the GitLab double. Answers are GitLab's documented examples from
// /work/shared/fixtures/gitlab with ids, SHAs and states replaced by what the request asked
// for. Branches and merge-requests-for-a-commit have no fixture; their answers carry the
// fields GitLab's API documentation lists (doc/api/branches.md, doc/api/commits.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { gitlabFixture } from './gitlab.ts';

export type DoubleCommitState = 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped';
const COMMIT_STATES = new Set(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']);
const FINAL_STATES = new Set(['success', 'failed', 'canceled', 'skipped']);

export interface DoublePipeline {
  readonly id: number;
  readonly iid: number;
  /** The project id as the client sent it, decoded (`42` or `group/project`). */
  readonly project: string;
  readonly ref: string;
  readonly sha: string;
  status: string;
  readonly variables: Readonly<Record<string, string>>;
  testReport: unknown;
}

export interface DoubleStatus {
  readonly id: number;
  readonly project: string;
  readonly sha: string;
  readonly name: string;
  readonly state: DoubleCommitState;
  readonly ref: string | null;
  readonly description: string | null;
  readonly targetUrl: string | null;
  readonly pipelineId: number | null;
}

export interface DoubleNote {
  readonly id: number;
  readonly project: string;
  /** The commit SHA for a commit comment, the iid for a merge request note. */
  readonly target: string;
  readonly kind: 'commit' | 'merge_request';
  readonly body: string;
}

export interface MergeRequestSpec {
  readonly iid: number;
  readonly state?: string;
  readonly sourceBranch?: string;
  readonly targetBranch?: string;
}

export interface DoubleState {
  url: string;
  nextId: number;
  readonly pipelines: Map<number, DoublePipeline>;
  readonly statuses: DoubleStatus[];
  readonly notes: DoubleNote[];
  readonly branches: Map<string, string>;
  readonly mergeRequests: Map<string, readonly MergeRequestSpec[]>;
}

/** GitLab's answer for a pipeline without a test report: the same shape, all zero. */
export const EMPTY_TEST_REPORT = {
  total_time: 0, total_count: 0, success_count: 0, failed_count: 0, skipped_count: 0, error_count: 0, test_suites: [],
};

type Params = Record<string, string>;
type Body = Record<string, unknown>;

export function key(project: string | number, item: string): string {
  return `${project}\u0000${item}`;
}

/** A numeric id for answers; a project sent by path gets a stable made-up one. */
function projectNumber(project: string): number {
  if (/^\d+$/.test(project)) return Number(project);
  return 1000 + [...project].reduce((sum, char) => (sum * 31 + char.codePointAt(0)!) % 100_000, 7);
}

const params = (request: FastifyRequest) => request.params as Params;
const body = (request: FastifyRequest): Body => (request.body ?? {}) as Body;
const now = () => new Date().toISOString();

export function registerRoutes(app: FastifyInstance, state: DoubleState): void {
  registerWrites(app, state);
  registerReads(app, state);
}

function registerWrites(app: FastifyInstance, state: DoubleState): void {
  app.post('/projects/:id/statuses/:sha', async (request, reply) => {
    const { id, sha } = params(request);
    return setStatus(state, id!, sha!, body(request), reply, now());
  });

  app.post('/projects/:id/repository/commits/:sha/comments', async (request, reply) => {
    const { id, sha } = params(request);
    const note = body(request)['note'];
    if (typeof note !== 'string' || note === '') return reply.code(400).send({ error: 'note is missing' });
    state.notes.push({ id: state.nextId++, project: id!, target: sha!, kind: 'commit', body: note });
    const answer = { ...gitlabFixture('commit_comment.json'), note, path: null, line: null, line_type: null, created_at: now() };
    return reply.code(201).send(answer);
  });

  app.post('/projects/:id/merge_requests/:iid/notes', async (request, reply) => {
    const { id, iid } = params(request);
    const text = body(request)['body'];
    if (typeof text !== 'string' || text === '') return reply.code(400).send({ error: 'body is missing' });
    if ([...text].length > 1_000_000) return reply.code(400).send({ message: { note: ['is too long (maximum is 1000000 characters)'] } });
    const note = { id: state.nextId++, project: id!, target: iid!, kind: 'merge_request' as const, body: text };
    state.notes.push(note);
    const answer = gitlabFixture('merge_request_note.json');
    const noteable = { noteable_iid: Number(iid), project_id: projectNumber(id!), created_at: now(), updated_at: now() };
    return reply.code(201).send({ ...answer, id: note.id, body: text, ...noteable });
  });

  app.post('/projects/:id/pipeline', async (request, reply) => createPipeline(state, params(request)['id']!, body(request), reply));
}

function registerReads(app: FastifyInstance, state: DoubleState): void {
  app.get('/projects/:id/pipelines/:pipelineId', async (request, reply) => {
    const pipeline = findPipeline(state, params(request));
    if (pipeline === null) return reply.code(404).send({ message: '404 Not found' });
    return pipelineJson(state, pipeline, 'get_pipeline.json');
  });

  app.get('/projects/:id/pipelines/:pipelineId/test_report', async (request, reply) => {
    const pipeline = findPipeline(state, params(request));
    if (pipeline === null) return reply.code(404).send({ message: '404 Not found' });
    return pipeline.testReport ?? EMPTY_TEST_REPORT;
  });

  app.get('/projects/:id/repository/branches/:branch', async (request, reply) => {
    const { id, branch } = params(request);
    const sha = state.branches.get(key(id!, branch!));
    if (sha === undefined) return reply.code(404).send({ message: '404 Branch Not Found' });
    return branchJson(state, id!, branch!, sha);
  });

  app.get('/projects/:id/repository/commits/:sha/merge_requests', async (request) => {
    const { id, sha } = params(request);
    return (state.mergeRequests.get(key(id!, sha!)) ?? []).map((spec) => mergeRequestJson(state, id!, sha!, spec));
  });
}

function setStatus(state: DoubleState, project: string, sha: string, input: Body, reply: FastifyReply, now: string) {
  const requested = input['state'];
  if (typeof requested !== 'string' || !COMMIT_STATES.has(requested)) {
    return reply.code(400).send({ error: 'state does not have a valid value' });
  }
  for (const field of ['description', 'target_url', 'ref']) {
    const value = input[field];
    if (typeof value === 'string' && [...value].length > 255) {
      return reply.code(400).send({ message: { [field]: ['is too long (maximum is 255 characters)'] } });
    }
  }
  const name = typeof input['name'] === 'string' ? input['name'] : 'default';
  const ref = typeof input['ref'] === 'string' ? input['ref'] : null;
  // GitLab refuses to move a running or pending status to the state it already has.
  const previous = state.statuses.findLast((s) => s.project === project && s.sha === sha && s.name === name && s.ref === ref);
  if (previous !== undefined && previous.state === requested && !FINAL_STATES.has(requested)) {
    const via = requested === 'running' ? 'run' : 'enqueue';
    return reply.code(400).send({
      message: `Cannot transition status via :${via} from :${requested} (Reason(s): Status cannot transition via "${via}")`,
    });
  }
  const status: DoubleStatus = {
    id: state.nextId++, project, sha, name, state: requested as DoubleCommitState, ref,
    description: typeof input['description'] === 'string' ? input['description'] : null,
    targetUrl: typeof input['target_url'] === 'string' ? input['target_url'] : null,
    pipelineId: typeof input['pipeline_id'] === 'number' ? input['pipeline_id'] : null,
  };
  state.statuses.push(status);
  const final = FINAL_STATES.has(status.state);
  return reply.code(201).send({
    ...gitlabFixture('commit_status.json'),
    id: status.id, sha, name, status: status.state, ref, description: status.description, target_url: status.targetUrl,
    coverage: null, created_at: now, started_at: status.state === 'running' || final ? now : null, finished_at: final ? now : null,
  });
}

function createPipeline(state: DoubleState, project: string, input: Body, reply: FastifyReply) {
  const ref = input['ref'];
  if (typeof ref !== 'string' || ref === '') return reply.code(400).send({ error: 'ref is missing' });
  const sha = state.branches.get(key(project, ref));
  if (sha === undefined) return reply.code(400).send({ message: { base: ['Reference not found'] } });
  const variables = readVariables(input['variables']);
  if (variables === null) return reply.code(400).send({ error: 'variables is invalid' });
  const iid = [...state.pipelines.values()].filter((p) => p.project === project).length + 1;
  const pipeline: DoublePipeline = { id: state.nextId++, iid, project, ref, sha, status: 'pending', variables, testReport: null };
  state.pipelines.set(pipeline.id, pipeline);
  return reply.code(201).send(pipelineJson(state, pipeline, 'create_pipeline.json'));
}

function readVariables(value: unknown): Record<string, string> | null {
  if (value === undefined) return {};
  if (!Array.isArray(value)) return null;
  const result: Record<string, string> = {};
  for (const item of value as unknown[]) {
    const { key: name, value: text } = (item ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof text !== 'string') return null;
    result[name] = text;
  }
  return result;
}

function findPipeline(state: DoubleState, params: Params): DoublePipeline | null {
  const pipeline = state.pipelines.get(Number(params['pipelineId']));
  return pipeline !== undefined && pipeline.project === params['id'] ? pipeline : null;
}

function pipelineJson(state: DoubleState, pipeline: DoublePipeline, fixture: string): Record<string, unknown> {
  const base = gitlabFixture(fixture);
  const webUrl = `${state.url}/${pipeline.project}/-/pipelines/${pipeline.id}`;
  const answer: Record<string, unknown> = {
    ...base, id: pipeline.id, iid: pipeline.iid, project_id: projectNumber(pipeline.project),
    sha: pipeline.sha, ref: pipeline.ref, status: pipeline.status, web_url: webUrl,
  };
  if (base['detailed_status'] !== undefined) {
    const text = pipeline.status === 'success' ? 'passed' : pipeline.status;
    answer['detailed_status'] = {
      ...(base['detailed_status'] as Body), icon: `status_${pipeline.status}`, text, label: text,
      group: pipeline.status, tooltip: text, details_path: new URL(webUrl).pathname,
    };
  }
  return answer;
}

function branchJson(state: DoubleState, project: string, branch: string, sha: string): Record<string, unknown> {
  const author = { author_name: 'Administrator', author_email: 'admin@example.com', authored_date: '2016-11-04T09:36:13.000Z' };
  return {
    name: branch, merged: false, protected: false, default: branch === 'main', developers_can_push: false,
    developers_can_merge: false, can_push: true, web_url: `${state.url}/${project}/-/tree/${encodeURIComponent(branch)}`,
    commit: {
      id: sha, short_id: sha.slice(0, 8), created_at: author.authored_date, parent_ids: [], title: 'Submission',
      message: 'Submission', ...author, committer_name: author.author_name, committer_email: author.author_email,
      committed_date: author.authored_date, web_url: `${state.url}/${project}/-/commit/${sha}`,
    },
  };
}

function mergeRequestJson(state: DoubleState, project: string, sha: string, spec: MergeRequestSpec): Record<string, unknown> {
  const projectId = projectNumber(project);
  return {
    id: 10_000 + spec.iid, iid: spec.iid, project_id: projectId, title: `Merge request !${spec.iid}`,
    state: spec.state ?? 'opened', source_branch: spec.sourceBranch ?? 'solution', target_branch: spec.targetBranch ?? 'main',
    source_project_id: projectId, target_project_id: projectId, sha,
    web_url: `${state.url}/${project}/-/merge_requests/${spec.iid}`,
  };
}
