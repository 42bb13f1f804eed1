// The reconciler against the GitLab double over HTTP and an embedded database (PGlite), with a
// publisher that validates and records what would go to Kafka. The real broker and PostgreSQL
// are in test/integration/reconcile.test.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Assignment, Course } from '../courses/index.ts';
import { migrate, openDatabase, recordSubmission } from '../db/index.ts';
import type { Database } from '../db/index.ts';
import { createEnvelope } from '../events/index.ts';
import type { Envelope, EventPublisher } from '../events/index.ts';
import { GitLabReadApi } from '../gitlab/reconcile-api.ts';
import { startGitLabDouble } from '../../test/support/gitlab-double.ts';
import type { GitLabDouble } from '../../test/support/gitlab-double.ts';
import { shaOf } from '../../test/support/gitlab.ts';
import { namespaceOf, reconcile } from './reconciler.ts';
import type { ProjectOutcome, ReconcileDeps } from './reconciler.ts';

const NOW = new Date('2026-05-02T12:00:00.000Z');
let gitlab: GitLabDouble;
let db: Database;
let dataDir: string;

before(async () => {
  gitlab = await startGitLabDouble();
  dataDir = await mkdtemp(join(tmpdir(), 'gradeflow-reconciler-'));
  db = await openDatabase({ dataDir });
  await migrate(db);
});
after(async () => {
  await gitlab.close();
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

function assignment(slug: string, extra: Partial<Assignment> = {}): Assignment {
  return {
    slug, title: slug, opens: null, deadline: new Date('2026-05-01T23:59:00Z'), exam: false, branch: null, counts: 'best', late: null,
    attempts: { perHour: null, max: null }, check: null, scoring: { maxScore: 10, weights: {}, default: 1 }, ...extra,
  };
}

function course(slug: string, assignments: Assignment[], projectPath = `${slug}/{assignment}/{student}`): Course {
  return { slug, title: slug, file: `${slug}.yaml`, gitlab: { projectPath, webhookSecret: null }, notify: { email: null, webhook: null }, assignments };
}

function world(courses: Course[]) {
  const published: Envelope<'gitlab.push'>[] = [];
  const publisher: EventPublisher = {
    // createEnvelope refuses what the schema refuses, as the Kafka producer does.
    publish: async (definition, event) => {
      const envelope = createEnvelope(definition, 'test', event);
      published.push(envelope as unknown as Envelope<'gitlab.push'>);
      return { topic: definition.topic, partition: 0, offset: BigInt(published.length), eventId: envelope.id };
    },
  };
  const api = new GitLabReadApi({ baseUrl: gitlab.url, token: gitlab.token, maxRetries: 1, sleep: async () => {} });
  const deps: ReconcileDeps = { db, gitlab: api, publisher, courses, now: () => NOW };
  return { deps, published };
}

async function run(deps: ReconcileDeps, target: { course: string; assignment?: string }) {
  const outcomes: ProjectOutcome[] = [];
  const report = await reconcile(deps, target, (outcome) => outcomes.push(outcome));
  const byStudent = Object.fromEntries(outcomes.map((o) => [o.student, o]));
  return { report, outcomes, byStudent };
}

async function submit(courseSlug: string, projectId: number, path: string, sha: string, student: string, slug = 'hw1') {
  await recordSubmission(db, {
    eventId: randomUUID(), course: courseSlug, assignment: slug, student, projectId, projectPath: path, ref: 'refs/heads/main',
    commitSha: sha, receivedAt: NOW,
  });
}

test('namespaceOf keeps the literal leading segments of the template', () => {
  assert.equal(namespaceOf('algo-2026/{assignment}/{student}'), 'algo-2026');
  assert.equal(namespaceOf('faculty/algo/{student}'), 'faculty/algo');
  assert.equal(namespaceOf('algo/hw-{student}'), 'algo');
  assert.equal(namespaceOf('{student}/algo'), null);
});

test('a head without a submission is emitted with GitLab\u2019s push time; one with a submission is not', async () => {
  const c = course('rc-a', [assignment('hw1')]);
  const [ann, bob, cid] = [shaOf('rc-a ann'), shaOf('rc-a bob'), shaOf('rc-a cid')];
  gitlab.setProjects([{ id: 101, path: 'rc-a/hw1/ann' }, { id: 102, path: 'rc-a/hw1/Bob' }, { id: 103, path: 'rc-a/hw1/cid' }, { id: 104, path: 'rc-a/notes' }]);
  gitlab.setBranchHead(101, 'main', ann);
  gitlab.setBranchHead(102, 'main', bob);
  gitlab.setBranchHead(103, 'main', cid);
  gitlab.addPushEvent(102, { ref: 'main', commitTo: bob, commitFrom: ann, createdAt: '2026-05-01T23:58:30.000Z', author: 'bob' });
  await submit('rc-a', 101, 'rc-a/hw1/ann', ann, 'ann');
  const { deps, published } = world([c]);
  const { report, byStudent } = await run(deps, { course: 'rc-a' });
  assert.deepEqual(report, { course: 'rc-a', assignments: ['hw1'], projects: 3, emitted: 2, upToDate: 1, skipped: 0, failed: 0 });
  assert.equal(byStudent['ann']?.kind, 'up-to-date');
  // Projects are looked at in parallel: the order of publishing is not the order of listing.
  published.sort((a, b) => a.key.localeCompare(b.key));
  assert.deepEqual(published.map((e) => [e.key, e.payload.checkoutSha, e.payload.receivedAt, e.payload.reconciled]), [
    ['rc-a:hw1:bob', bob, '2026-05-01T23:58:30.000Z', true],
    ['rc-a:hw1:cid', cid, NOW.toISOString(), true],
  ], 'bob by the push event; cid has none, so counts as pushed now (late)');
  const push = published[0]!.payload;
  assert.deepEqual([push.ref, push.branch, push.before, push.project.httpUrl, push.pusher.username], ['refs/heads/main', 'main', ann, `${gitlab.url}/rc-a/hw1/Bob.git`, 'bob']);
  assert.deepEqual([byStudent['bob']?.kind, byStudent['cid']?.kind], ['emitted', 'emitted']);
});

test('running twice emits the same event ids', async () => {
  const c = course('rc-b', [assignment('hw1')]);
  gitlab.setProjects([{ id: 201, path: 'rc-b/hw1/ann' }]);
  gitlab.setBranchHead(201, 'main', shaOf('rc-b ann'));
  const { deps, published } = world([c]);
  await run(deps, { course: 'rc-b' });
  await run(deps, { course: 'rc-b' });
  assert.equal(published.length, 2);
  assert.equal(published[0]!.id, published[1]!.id);
});

test('the graded branch is the assignment\u2019s, else the project\u2019s default; no branch or no repository is skipped', async () => {
  const c = course('rc-c', [assignment('hw1', { branch: 'solution' }), assignment('hw2')]);
  gitlab.setProjects([
    { id: 301, path: 'rc-c/hw1/ann' }, { id: 302, path: 'rc-c/hw2/ann', defaultBranch: 'trunk' },
    { id: 303, path: 'rc-c/hw2/bob', defaultBranch: null }, { id: 304, path: 'rc-c/hw9/ann' },
  ]);
  gitlab.setBranchHead(301, 'main', shaOf('rc-c main'));
  gitlab.setBranchHead(302, 'trunk', shaOf('rc-c trunk'));
  const { deps, published } = world([c]);
  const { report, outcomes } = await run(deps, { course: 'rc-c' });
  assert.deepEqual(outcomes.map((o) => [o.projectId, o.kind]).sort(), [[301, 'no-branch'], [302, 'emitted'], [303, 'no-branch']]);
  assert.equal(report.skipped, 2);
  assert.deepEqual(published.map((e) => e.payload.branch), ['trunk']);
  const only = await run(world([c]).deps, { course: 'rc-c', assignment: 'hw1' });
  assert.deepEqual(only.outcomes.map((o) => o.projectId), [301]);
});

test('projects known from submissions count too, even outside the namespace; a deleted one is gone', async () => {
  const c = course('rc-d', [assignment('hw1')]);
  const moved = shaOf('rc-d moved');
  gitlab.setProjects([{ id: 401, path: 'archive/ann-hw1' }]);
  gitlab.setBranchHead(401, 'main', shaOf('rc-d moved head'));
  await submit('rc-d', 401, 'rc-d/hw1/ann', moved, 'ann');
  await submit('rc-d', 402, 'rc-d/hw1/bob', shaOf('rc-d bob'), 'bob');
  const { deps, published } = world([c]);
  const { byStudent, report } = await run(deps, { course: 'rc-d' });
  assert.equal(byStudent['ann']?.kind, 'emitted');
  assert.equal(byStudent['bob']?.kind, 'gone');
  assert.equal(report.failed, 1, 'the namespace rc-d itself does not exist any more');
  assert.deepEqual(published.map((e) => [e.key, e.payload.project.path]), [['rc-d:hw1:ann', 'archive/ann-hw1']]);
});

test('one project failing does not stop the others', async () => {
  const c = course('rc-e', [assignment('hw1')]);
  gitlab.setProjects([{ id: 501, path: 'rc-e/hw1/ann' }, { id: 502, path: 'rc-e/hw1/bob' }]);
  gitlab.setBranchHead(501, 'main', shaOf('rc-e ann'));
  gitlab.setBranchHead(502, 'main', shaOf('rc-e bob'));
  gitlab.failNext('/projects/501/repository/branches', 500, { times: 2 });
  const { deps, published } = world([c]);
  const { byStudent, report } = await run(deps, { course: 'rc-e' });
  assert.deepEqual([byStudent['ann']?.kind, byStudent['bob']?.kind], ['failed', 'emitted']);
  assert.equal(byStudent['ann']?.kind === 'failed' && byStudent['ann'].code, 'GITLAB_UNAVAILABLE');
  assert.equal(report.failed, 1);
  assert.equal(published.length, 1);
});

test('a push event dated in our future counts as now; an unknown course or assignment is refused', async () => {
  const c = course('rc-f', [assignment('hw1')]);
  const sha = shaOf('rc-f ann');
  gitlab.setProjects([{ id: 601, path: 'rc-f/hw1/ann' }]);
  gitlab.setBranchHead(601, 'main', sha);
  gitlab.addPushEvent(601, { ref: 'main', commitTo: sha, createdAt: '2026-05-03T00:00:00.000Z' });
  const { deps, published } = world([c]);
  await run(deps, { course: 'rc-f' });
  assert.equal(published[0]?.payload.receivedAt, NOW.toISOString());
  await assert.rejects(reconcile(deps, { course: 'nope' }), { code: 'NOT_FOUND' });
  await assert.rejects(reconcile(deps, { course: 'rc-f', assignment: 'hw9' }), { code: 'NOT_FOUND' });
});
