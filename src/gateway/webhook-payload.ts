// Pure mapping from what GitLab sends (headers + JSON body) to what Gradeflow produces.
// Tolerant of GitLab's documented quirks: 20-commit cap (trust total_commits_count), all-zero
// SHAs for created/deleted branches, null checkout_sha on deletion, extra or missing fields.
import { z } from 'zod';
import type { GitLabPush } from '../events/index.ts';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

/** X-Gitlab-Event header -> the kinds Gradeflow accepts; anything else is acknowledged and ignored. */
const ACCEPTED_KINDS: Readonly<Record<string, string>> = {
  'Push Hook': 'push',
  'Tag Push Hook': 'tag_push',
  'Merge Request Hook': 'merge_request',
  'Pipeline Hook': 'pipeline',
  'Job Hook': 'build',
  'Note Hook': 'note',
};

export function acceptedKind(eventHeader: string): string | null {
  return ACCEPTED_KINDS[eventHeader] ?? null;
}

/** A bounded label for metrics: known header values as kinds, everything else `other`. */
export function kindLabel(eventHeader: string | undefined): string {
  return eventHeader === undefined ? 'missing' : (ACCEPTED_KINDS[eventHeader] ?? 'other');
}

const sha = z.string().regex(/^[0-9a-f]{40}$/);

const PushBody = z.object({
  object_kind: z.literal('push').optional(),
  ref: z.string().min(1),
  before: sha,
  after: sha,
  checkout_sha: sha.nullable().optional(),
  user_id: z.number().int().nullable().optional(),
  user_name: z.string().nullable().optional(),
  user_username: z.string().nullable().optional(),
  total_commits_count: z.number().int().nonnegative().optional(),
  project: z.object({
    id: z.number().int().nonnegative(),
    path_with_namespace: z.string().min(1),
    web_url: z.string().nullable().optional(),
    git_http_url: z.string().nullable().optional(),
    http_url: z.string().nullable().optional(),
    default_branch: z.string().nullable().optional(),
  }),
  commits: z
    .array(
      z.object({
        id: sha,
        title: z.string().nullable().optional(),
        message: z.string().nullable().optional(),
        timestamp: z.string().nullable().optional(),
        author: z.object({ name: z.string().nullable().optional() }).nullable().optional(),
      }),
    )
    .optional(),
});

export type PushMapping =
  | { readonly ok: true; readonly payload: Omit<GitLabPush, 'course' | 'assignment' | 'student' | 'deliveryId' | 'receivedAt' | 'reconciled'> }
  | { readonly ok: false; readonly reason: 'branch-deleted' | 'malformed'; readonly message: string };

export function mapPush(body: unknown): PushMapping {
  const parsed = PushBody.safeParse(body);
  if (!parsed.success) {
    return { ok: false, reason: 'malformed', message: `push payload is not as GitLab documents it: ${z.prettifyError(parsed.error)}` };
  }
  const push = parsed.data;
  const checkoutSha = push.checkout_sha ?? null;
  if (push.after === ZERO_SHA || checkoutSha === null) {
    return { ok: false, reason: 'branch-deleted', message: `${push.ref} was deleted; nothing to check` };
  }
  const commits = (push.commits ?? []).slice(-20).map((commit) => ({
    id: commit.id,
    title: truncate(commit.title ?? firstLine(commit.message ?? ''), 1000),
    timestamp: commit.timestamp ?? null,
    authorName: truncate(commit.author?.name ?? null, 500),
  }));
  return {
    ok: true,
    payload: {
      project: {
        id: push.project.id,
        path: push.project.path_with_namespace,
        webUrl: push.project.web_url ?? null,
        httpUrl: push.project.git_http_url ?? push.project.http_url ?? null,
        defaultBranch: push.project.default_branch ?? null,
      },
      ref: push.ref,
      branch: push.ref.startsWith('refs/heads/') ? push.ref.slice('refs/heads/'.length) : null,
      before: push.before,
      after: push.after,
      checkoutSha,
      // GitLab lists at most 20 commits; the real count is total_commits_count.
      totalCommits: push.total_commits_count ?? commits.length,
      commits,
      pusher: { id: push.user_id ?? null, username: push.user_username ?? null, name: push.user_name ?? null },
    },
  };
}

/** The project a payload is about, for any kind that names one. */
export function projectOf(body: Record<string, unknown>): { id: number | null; path: string | null } {
  const project = body.project as { id?: unknown; path_with_namespace?: unknown } | undefined;
  const id = typeof project?.id === 'number' ? project.id : typeof body.project_id === 'number' ? body.project_id : null;
  const path = typeof project?.path_with_namespace === 'string' ? project.path_with_namespace : null;
  return { id, path };
}

/** Payload kept for later stages, minus what may hold secrets: pipeline variables, all but the
 * ids Gradeflow gave the pipeline. */
export function sanitizedBody(body: Record<string, unknown>): Record<string, unknown> {
  const attributes = body.object_attributes;
  if (attributes === null || typeof attributes !== 'object' || !('variables' in attributes)) return body;
  const { variables, ...rest } = attributes as Record<string, unknown>;
  const ours = Array.isArray(variables) ? variables.filter(isOwnIdVariable).map(({ key, value }) => ({ key, value })) : [];
  return { ...body, object_attributes: ours.length === 0 ? rest : { ...rest, variables: ours } };
}

/** The ids Gradeflow itself gives the pipelines it creates (src/pipeline/ci-executor.ts): not
 * secret, and what lets ci-trackers tie a pipeline to its check before the check knows it. */
const OWN_ID_VARIABLES: ReadonlySet<unknown> = new Set(['GRADEFLOW_CHECK_ID', 'GRADEFLOW_SUBMISSION_ID']);

function isOwnIdVariable(variable: unknown): variable is { key: string; value: string } {
  if (variable === null || typeof variable !== 'object') return false;
  const { key, value } = variable as { key?: unknown; value?: unknown };
  return OWN_ID_VARIABLES.has(key) && typeof value === 'string' && /^[0-9a-f-]{1,64}$/i.test(value);
}

/**
 * The identity of a delivery. GitLab's Idempotency-Key is stable across retries and manual
 * resends (17.4+); older versions only send X-Gitlab-Event-UUID, which recursive hooks share,
 * so it is combined with the payload's identity. A push can always be identified by content.
 */
export function deliveryKey(headers: { idempotencyKey?: string; eventUuid?: string }, kind: string, body: Record<string, unknown>): string | null {
  if (headers.idempotencyKey) return `idem:${headers.idempotencyKey}`;
  const { id } = projectOf(body);
  const identity = [kind, id ?? '', body.ref ?? '', body.before ?? '', body.after ?? body.sha ?? '', objectId(body)].join(':');
  if (headers.eventUuid) return `uuid:${headers.eventUuid}:${identity}`;
  return kind === 'push' || kind === 'tag_push' ? `content:${identity}` : null;
}

function objectId(body: Record<string, unknown>): string {
  const attributes = body.object_attributes as { id?: unknown; status?: unknown } | undefined;
  const id = attributes?.id ?? body.build_id ?? '';
  const status = attributes?.status ?? body.build_status ?? '';
  return `${String(id)}:${String(status)}`;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

function truncate<T extends string | null>(text: T, max: number): T {
  return (text !== null && text.length > max ? text.slice(0, max) : text) as T;
}
