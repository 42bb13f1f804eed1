// The reconciler: GitLab does not redeliver a webhook that failed (gateway down, network cut at
// the deadline), so a student's last push could be lost. It asks the GitLab API for the head
// of each student project's graded branch and emits a gitlab.push (reconciled: true) for every
// head that has no submission yet; pipeline-orchestrators then record it like any push.
//
// Which projects: those under the course's namespace (the literal leading segments of
// gitlab.projectPath) that the course's template matches, plus every project already known from
// submissions (a project moved out of the namespace still counts).
//
// Submission time (receivedAt), which decides on-time or late: never the commit's dates, which
// students can forge. GitLab's Events API records each push with the server's own clock: the
// newest push of the head onto the graded branch says when the branch last became this head.
// Without such an event (expired; beyond the pages read; a bulk push of more refs than GitLab's
// push_event_activities_limit, whose one event names no commit) nothing shows the push was on
// time, so it counts as pushed now: late, never wrongly on time. GitLab's background job that
// handles a push writes the event and then sends the webhook, so the event's time is never
// before the push and never after the time the lost webhook would have brought.
//
// Idempotent: the event id derives from (project, head), so running twice emits the same event
// and the orchestrator records it once; a head with a submission (unique on project and commit)
// is not emitted at all.
import type { Assignment, Course } from '../courses/index.ts';
import { createProjectResolver } from '../courses/index.ts';
import type { Queryable } from '../db/index.ts';
import { AppError, errorCode } from '../errors/index.ts';
import type { EventPublisher, PayloadInput } from '../events/index.ts';
import { EVENTS, stableId, submissionKey } from '../events/index.ts';
import type { GitLabReadApi, ProjectInfo, PushEvent } from '../gitlab/reconcile-api.ts';
import type { Logger } from '../logging/index.ts';
import { submissionBranch } from './admission.ts';

export interface ReconcileDeps {
  readonly db: Queryable;
  readonly gitlab: Pick<GitLabReadApi, 'listGroupProjects' | 'getProject' | 'getBranchHead' | 'findPushEvent'>;
  readonly publisher: EventPublisher;
  readonly courses: readonly Course[];
  readonly now?: () => Date;
  readonly log?: Logger;
  /** Projects looked at in parallel (default 4): fast enough, and gentle with GitLab's rate limits. */
  readonly concurrency?: number;
}

export interface ReconcileTarget {
  readonly course: string;
  /** Every assignment of the course when left out. */
  readonly assignment?: string;
}

interface Where {
  readonly assignment: string;
  readonly student: string;
  readonly projectId: number;
  readonly path: string;
}

export type ProjectOutcome =
  | (Where & { readonly kind: 'emitted'; readonly sha: string; readonly eventId: string; readonly pushedAt: string; readonly pushTime: 'gitlab-event' | 'now' })
  | (Where & { readonly kind: 'up-to-date'; readonly sha: string })
  | (Where & { readonly kind: 'no-branch'; readonly branch: string })
  | (Where & { readonly kind: 'gone' })
  | (Where & { readonly kind: 'failed'; readonly code: string; readonly message: string });

export interface ReconcileReport {
  readonly course: string;
  readonly assignments: readonly string[];
  readonly projects: number;
  readonly emitted: number;
  readonly upToDate: number;
  /** No graded branch yet, or the project is gone. */
  readonly skipped: number;
  readonly failed: number;
}

interface StudentProject {
  readonly assignment: Assignment;
  readonly student: string;
  readonly projectId: number;
  readonly path: string;
  /** From the namespace listing; null = known from submissions only, looked up by id. */
  readonly info: ProjectInfo | null;
}

const SOURCE_FAILED = { assignment: '*', student: '*', projectId: 0 } as const;

export async function reconcile(deps: ReconcileDeps, target: ReconcileTarget, onOutcome: (outcome: ProjectOutcome) => void = () => {}): Promise<ReconcileReport> {
  const { course, assignments } = findTarget(deps.courses, target);
  const outcomes: ProjectOutcome[] = [];
  const report = (outcome: ProjectOutcome) => {
    outcomes.push(outcome);
    onOutcome(outcome);
  };
  const projects = await studentProjects(deps, course, assignments, report);
  await forEachLimited(projects, deps.concurrency ?? 4, async (project) => report(await reconcileProject(deps, course, project)));
  const count = (...kinds: ProjectOutcome['kind'][]) => outcomes.filter((o) => kinds.includes(o.kind)).length;
  const summary = {
    course: course.slug, assignments: assignments.map((a) => a.slug), projects: projects.length,
    emitted: count('emitted'), upToDate: count('up-to-date'), skipped: count('no-branch', 'gone'), failed: count('failed'),
  };
  deps.log?.info(summary, 'reconciled');
  return summary;
}

function findTarget(courses: readonly Course[], target: ReconcileTarget): { course: Course; assignments: readonly Assignment[] } {
  const course = courses.find((c) => c.slug === target.course);
  if (course === undefined) throw new AppError('NOT_FOUND', `no course ${target.course}`);
  if (target.assignment === undefined) return { course, assignments: course.assignments };
  const assignment = course.assignments.find((a) => a.slug === target.assignment);
  if (assignment === undefined) throw new AppError('NOT_FOUND', `course ${course.slug} has no assignment ${target.assignment}`);
  return { course, assignments: [assignment] };
}

/** The group to list: the template's leading segments without a placeholder, if any. */
export function namespaceOf(projectPathTemplate: string): string | null {
  const literal: string[] = [];
  for (const part of projectPathTemplate.split('/')) {
    if (part.includes('{')) break;
    literal.push(part);
  }
  return literal.length === 0 ? null : literal.join('/');
}

async function studentProjects(deps: ReconcileDeps, course: Course, assignments: readonly Assignment[], report: (o: ProjectOutcome) => void): Promise<StudentProject[]> {
  const bySlug = new Map(assignments.map((a) => [a.slug, a]));
  const found = new Map<string, StudentProject>();
  const add = (project: StudentProject) => {
    const id = `${project.projectId}:${project.assignment.slug}`;
    if (!found.has(id)) found.set(id, project);
  };
  const namespace = namespaceOf(course.gitlab.projectPath);
  if (namespace !== null) {
    // A failed listing still leaves the projects known from submissions to reconcile.
    try {
      for (const project of await listed(deps, course, namespace, bySlug)) add(project);
    } catch (error) {
      deps.log?.warn({ err: error, namespace }, 'listing the course namespace failed');
      report({ ...SOURCE_FAILED, kind: 'failed', path: namespace, code: errorCode(error), message: messageOf(error) });
    }
  }
  for (const project of await knownFromSubmissions(deps.db, course.slug, bySlug)) add(project);
  return [...found.values()];
}

async function listed(deps: ReconcileDeps, course: Course, namespace: string, bySlug: ReadonlyMap<string, Assignment>): Promise<StudentProject[]> {
  // Resolved against every course, as the gateway does: an overlapping course loaded earlier owns the path.
  const resolver = createProjectResolver(deps.courses);
  const projects: StudentProject[] = [];
  for (const info of await deps.gitlab.listGroupProjects(namespace)) {
    const resolved = resolver.resolve(info.path);
    if (!resolved.ok || resolved.course.slug !== course.slug) continue;
    const assignment = bySlug.get(resolved.assignment.slug);
    if (assignment !== undefined) projects.push({ assignment, student: resolved.student, projectId: info.id, path: info.path, info });
  }
  return projects;
}

async function knownFromSubmissions(db: Queryable, course: string, bySlug: ReadonlyMap<string, Assignment>): Promise<StudentProject[]> {
  const { rows } = await db.query<{ project_id: string; project_path: string; assignment: string; student: string }>(
    'SELECT DISTINCT project_id, project_path, assignment, student FROM submissions WHERE course = $1 ORDER BY project_id',
    [course],
  );
  return rows.flatMap((row) => {
    const assignment = bySlug.get(row.assignment);
    if (assignment === undefined) return [];
    return [{ assignment, student: row.student, projectId: Number(row.project_id), path: row.project_path, info: null }];
  });
}

async function reconcileProject(deps: ReconcileDeps, course: Course, project: StudentProject): Promise<ProjectOutcome> {
  const where: Where = { assignment: project.assignment.slug, student: project.student, projectId: project.projectId, path: project.path };
  try {
    const info = project.info ?? (await deps.gitlab.getProject(project.projectId));
    if (info === null) return { ...where, kind: 'gone' };
    const branch = submissionBranch(project.assignment, info.defaultBranch);
    const sha = await deps.gitlab.getBranchHead(info.id, branch);
    if (sha === null) return { ...where, kind: 'no-branch', branch };
    if (await hasSubmission(deps.db, info.id, sha)) return { ...where, kind: 'up-to-date', sha };
    const push = await deps.gitlab.findPushEvent(info.id, branch, sha);
    return { ...where, ...(await emit(deps, course, project, info, branch, sha, push)) };
  } catch (error) {
    deps.log?.warn({ err: error, project: project.path }, 'reconciling a project failed');
    return { ...where, kind: 'failed', code: errorCode(error), message: messageOf(error) };
  }
}

async function hasSubmission(db: Queryable, projectId: number, sha: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM submissions WHERE project_id = $1 AND commit_sha = $2 LIMIT 1', [projectId, sha]);
  return rows.length > 0;
}

async function emit(deps: ReconcileDeps, course: Course, project: StudentProject, info: ProjectInfo, branch: string, sha: string, push: PushEvent | null) {
  const now = deps.now?.() ?? new Date();
  // A GitLab clock ahead of ours must not date a push in our future.
  const pushedAt = push !== null && push.createdAt <= now ? push.createdAt : now;
  const eventId = stableId('reconciled', String(info.id), sha);
  const payload = reconciledPush({ course: course.slug, assignment: project.assignment.slug, student: project.student, info, branch, sha, push, pushedAt });
  await deps.publisher.publish(EVENTS.gitlabPush, { id: eventId, key: submissionKey(course.slug, project.assignment.slug, project.student), payload });
  return { kind: 'emitted' as const, sha, eventId, pushedAt: pushedAt.toISOString(), pushTime: push === null ? ('now' as const) : ('gitlab-event' as const) };
}

export interface ReconciledPushInput {
  readonly course: string;
  readonly assignment: string;
  readonly student: string;
  readonly info: ProjectInfo;
  readonly branch: string;
  readonly sha: string;
  readonly push: PushEvent | null;
  readonly pushedAt: Date;
}

/** The push as a webhook would have described it, from what the API tells (no commit list). */
export function reconciledPush(input: ReconciledPushInput): PayloadInput<'gitlab.push'> {
  const { info, push, sha } = input;
  return {
    deliveryId: `reconciled:${info.id}:${sha}`,
    receivedAt: input.pushedAt.toISOString(),
    course: input.course,
    assignment: input.assignment,
    student: input.student,
    project: { id: info.id, path: info.path, webUrl: info.webUrl, httpUrl: info.httpUrl, defaultBranch: info.defaultBranch },
    ref: `refs/heads/${input.branch}`,
    branch: input.branch,
    // Unknown without the event (or for a new branch): all zeros, GitLab's own "no previous commit".
    before: push?.commitFrom != null && /^[0-9a-f]{40}$/.test(push.commitFrom) ? push.commitFrom : '0'.repeat(40),
    after: sha,
    checkoutSha: sha,
    totalCommits: push?.commitCount ?? 0,
    commits: [],
    pusher: push?.author ?? { id: null, username: null, name: null },
    reconciled: true,
  };
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
