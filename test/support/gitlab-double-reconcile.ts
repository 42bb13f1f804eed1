// The GitLab double's read endpoints for the reconciler: a group's projects (with subgroups),
// one project, and a project's push events, paginated as GitLab does it (page/per_page in,
// x-page, x-next-page, x-total… and Link out). Shapes follow GitLab's API documentation
// (doc/api/groups.md "List projects", doc/api/events.md); only documented fields are sent.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface DoubleProjectSpec {
  readonly id: number;
  readonly path: string;
  /** null: an empty repository (GitLab then has no default branch). Default `main`. */
  readonly defaultBranch?: string | null;
}

export interface DoublePushEventSpec {
  /** The branch (or tag) name, as GitLab shows it in push_data.ref: `main`, not refs/heads/main. */
  readonly ref: string;
  readonly commitTo: string;
  readonly commitFrom?: string;
  /** GitLab's server time of the push. */
  readonly createdAt: string | Date;
  readonly refType?: 'branch' | 'tag';
  readonly author?: string;
}

export interface ReconcileState {
  url: string;
  nextId: number;
  /** Every project; a group exists when some project path lies below it. */
  projects: readonly DoubleProjectSpec[];
  /** Project id (as text) -> push events, oldest first. */
  readonly pushEvents: Map<string, Array<DoublePushEventSpec & { readonly id: number }>>;
}

type Query = Record<string, string | undefined>;

export function registerReconcileRoutes(app: FastifyInstance, state: ReconcileState): void {
  app.get('/groups/:group/projects', async (request, reply) => {
    const group = ((request.params as Record<string, string>)['group'] ?? '').toLowerCase();
    const subgroups = (request.query as Query)['include_subgroups'] === 'true';
    const below = state.projects.filter((p) => p.path.toLowerCase().startsWith(`${group}/`));
    if (below.length === 0) return reply.code(404).send({ message: '404 Group Not Found' });
    // Without include_subgroups GitLab lists only the group's own projects.
    const listed = subgroups ? below : below.filter((p) => !p.path.slice(group.length + 1).includes('/'));
    const ordered = [...listed].sort((a, b) => a.id - b.id);
    return paginate(state, request, reply, ordered.map((p) => projectJson(state, p)));
  });

  app.get('/projects/:id', async (request, reply) => {
    const project = findProject(state, (request.params as Record<string, string>)['id'] ?? '');
    if (project === undefined) return reply.code(404).send({ message: '404 Project Not Found' });
    return projectJson(state, project);
  });

  app.get('/projects/:id/events', async (request, reply) => {
    const id = (request.params as Record<string, string>)['id'] ?? '';
    const query = request.query as Query;
    const project = findProject(state, id);
    const events = state.pushEvents.get(String(project?.id ?? id)) ?? [];
    const wanted = query['action'] === undefined || query['action'] === 'pushed' ? events : [];
    const ordered = query['sort'] === 'asc' ? [...wanted] : [...wanted].reverse();
    return paginate(state, request, reply, ordered.map((event) => eventJson(project?.id ?? Number(id), event)));
  });
}

function findProject(state: ReconcileState, idOrPath: string): DoubleProjectSpec | undefined {
  return state.projects.find((p) => String(p.id) === idOrPath || p.path.toLowerCase() === idOrPath.toLowerCase());
}

/** GitLab's offset pagination: default 20 per page, at most 100. */
function paginate(state: ReconcileState, request: FastifyRequest, reply: FastifyReply, items: readonly unknown[]): unknown[] {
  const query = request.query as Query;
  const perPage = Math.min(100, Math.max(1, Number(query['per_page'] ?? 20) || 20));
  const page = Math.max(1, Number(query['page'] ?? 1) || 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const next = page < totalPages ? String(page + 1) : '';
  const link = (n: number) => {
    const params = new URLSearchParams(query as Record<string, string>);
    params.set('page', String(n));
    return `${state.url}/api/v4${request.url.split('?')[0]}?${params.toString()}`;
  };
  const links = [...(next === '' ? [] : [`<${link(page + 1)}>; rel="next"`]), `<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`];
  reply.headers({
    'x-page': String(page), 'x-per-page': String(perPage), 'x-next-page': next, 'x-prev-page': page > 1 ? String(page - 1) : '',
    'x-total': String(items.length), 'x-total-pages': String(totalPages), link: links.join(', '),
  });
  return items.slice((page - 1) * perPage, page * perPage);
}

function projectJson(state: ReconcileState, project: DoubleProjectSpec): Record<string, unknown> {
  const name = project.path.split('/').at(-1) ?? project.path;
  const namespace = project.path.split('/').slice(0, -1).join('/');
  return {
    id: project.id, name, path: name, path_with_namespace: project.path, name_with_namespace: project.path.replaceAll('/', ' / '),
    description: null, default_branch: project.defaultBranch === undefined ? 'main' : project.defaultBranch, visibility: 'private',
    web_url: `${state.url}/${project.path}`, http_url_to_repo: `${state.url}/${project.path}.git`,
    ssh_url_to_repo: `git@127.0.0.1:${project.path}.git`, archived: false, empty_repo: project.defaultBranch === null,
    namespace: { id: 1, name: namespace, path: namespace.split('/').at(-1) ?? namespace, kind: 'group', full_path: namespace },
    created_at: '2026-01-01T00:00:00.000Z', last_activity_at: '2026-01-01T00:00:00.000Z',
  };
}

function eventJson(projectId: number, event: DoublePushEventSpec & { readonly id: number }): Record<string, unknown> {
  const username = event.author ?? 'student';
  const createdAt = typeof event.createdAt === 'string' ? event.createdAt : event.createdAt.toISOString();
  const created = event.commitFrom === undefined;
  return {
    id: event.id, title: null, project_id: projectId, action_name: created ? 'pushed new' : 'pushed to', target_id: null, target_iid: null,
    target_type: null, author_id: 7, target_title: null, created_at: createdAt,
    author: { id: 7, username, name: `Student ${username}`, state: 'active', avatar_url: null, web_url: `https://gitlab.example/${username}` },
    author_username: username, imported: false, imported_from: 'none',
    push_data: {
      commit_count: 1, action: created ? 'created' : 'pushed', ref_type: event.refType ?? 'branch',
      commit_from: event.commitFrom ?? null, commit_to: event.commitTo, ref: event.ref, commit_title: 'Submission', ref_count: null,
    },
  };
}
