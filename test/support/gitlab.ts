// GitLab's documented webhook payloads from ../shared/fixtures/gitlab, re-pointed at a test
// course's projects, and a way to post them as GitLab does.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.ts';

const FIXTURES = new URL('../../../shared/fixtures/gitlab/', import.meta.url);

export function gitlabFixture(name: string): Record<string, unknown> {
  // Read fresh each time so a test's changes never leak into another's.
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

export function shaOf(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export interface PushOptions {
  readonly path: string;
  readonly projectId: number;
  readonly sha: string;
  readonly ref?: string;
  /** Where a runner clones from (git_http_url); any URL git accepts, file:// included. */
  readonly repoUrl?: string;
  readonly defaultBranch?: string;
}

/** push.json with the project path, id and head commit replaced. */
export function pushPayload(options: PushOptions): Record<string, unknown> {
  const body = gitlabFixture('push.json') as Record<string, any>;
  body.project.path_with_namespace = options.path;
  body.project.id = options.projectId;
  body.project_id = options.projectId;
  body.after = options.sha;
  body.checkout_sha = options.sha;
  body.ref = options.ref ?? 'refs/heads/main';
  body.project.default_branch = options.defaultBranch ?? 'main';
  if (options.repoUrl !== undefined) {
    body.project.git_http_url = options.repoUrl;
    body.project.http_url = options.repoUrl;
  }
  return body;
}

export interface TestCourse {
  readonly dir: string;
  readonly secret: string;
  readonly slug: string;
}

/** A courses directory with one course `algo-test` whose projects are algo-test/{assignment}/{student}. */
export function writeTestCourse(secret = 'course-secret-0123456789abcdef'): TestCourse {
  const dir = tempDir('gradeflow-courses-');
  writeFileSync(
    join(dir, 'algo-test.yaml'),
    [
      'slug: algo-test',
      'title: Algorithms (test)',
      'gitlab:',
      '  projectPath: "algo-test/{assignment}/{student}"',
      '  webhookSecret: ${TEST_COURSE_SECRET}',
      'assignments:',
      '  - slug: hw1',
      '    title: Sorting',
      '    deadline: 2099-12-01T23:59:00+03:00',
      '  - slug: hw2',
      '    title: Graphs',
      '    deadline: 2099-12-15T23:59:00+03:00',
      '',
    ].join('\n'),
  );
  return { dir, secret, slug: 'algo-test' };
}

export interface PostOptions {
  readonly token?: string | null;
  readonly event?: string | null;
  readonly idempotencyKey?: string;
  readonly eventUuid?: string;
  readonly contentType?: string | null;
  readonly rawBody?: string;
}

/** POSTs a webhook over real HTTP the way GitLab does. */
export async function postWebhook(baseUrl: string, body: unknown, options: PostOptions = {}): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = {};
  if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
  if (options.token !== null && options.token !== undefined) headers['x-gitlab-token'] = options.token;
  if (options.event !== null) headers['x-gitlab-event'] = options.event ?? 'Push Hook';
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  if (options.eventUuid !== undefined) headers['x-gitlab-event-uuid'] = options.eventUuid;
  const response = await fetch(`${baseUrl}/webhooks/gitlab`, { method: 'POST', headers, body: options.rawBody ?? JSON.stringify(body) });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: response.status, json };
}
