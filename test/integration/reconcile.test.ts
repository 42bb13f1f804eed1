// Catching webhooks that never came, end to end on real PostgreSQL, the real broker and the
// GitLab double over HTTP: `gradeflow reconcile` through the staff API, the events it puts on
// gitlab.push, pipeline-orchestrators recording them like any push, and the schedule firing at
// a deadline with a hand-driven clock. "Exactly once" on the topic is checked with a marker
// published afterwards under the same key: records of one key stay in order.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { runReconcile } from '../../src/cli/reconcile.ts';
import type { Assignment, Course } from '../../src/courses/index.ts';
import { recordSubmission } from '../../src/db/index.ts';
import type { Database } from '../../src/db/index.ts';
import { EVENTS, TOPICS, decodeEvent, stableId, topicName } from '../../src/events/index.ts';
import type { Envelope } from '../../src/events/index.ts';
import { GitLabReadApi } from '../../src/gitlab/reconcile-api.ts';
import { KafkaEventProducer, provisionTopics } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { orchestratorHandler } from '../../src/pipeline/index.ts';
import { startReconcileSchedule } from '../../src/pipeline/reconcile-schedule.ts';
import type { ScheduleTimer } from '../../src/pipeline/reconcile-schedule.ts';
import { reconcile, reconciledPush } from '../../src/pipeline/reconciler.ts';
import type { ReconcileDeps } from '../../src/pipeline/reconciler.ts';
import { createHttpApp } from '../../src/web/index.ts';
import { reconcileRoutes } from '../../src/web/reconcile-routes.ts';
import { testEnv } from '../support/context.ts';
import { startGitLabDouble } from '../support/gitlab-double.ts';
import type { GitLabDouble } from '../support/gitlab-double.ts';
import { shaOf } from '../support/gitlab.ts';
import { readTopic } from '../support/kafka-read.ts';
import { migratedTestDatabase } from '../support/postgres.ts';

const log = createLogger('silent');
const ADMIN_TOKEN = 'reconcile-admin-token-0123456789';
const DEADLINE = new Date('2026-05-01T20:59:00.000Z');
const MINUTE = 60_000;

function course(slug: string): Course {
  const hw1: Assignment = {
    slug: 'hw1', title: 'Sorting', opens: null, deadline: DEADLINE, exam: false, branch: null, counts: 'best',
    late: { penaltyPercentPerDay: 10, cutoff: new Date(DEADLINE.getTime() + 3 * 24 * 60 * MINUTE) },
    attempts: { perHour: null, max: null }, scoring: { maxScore: 10, weights: {}, default: 1 },
    check: { executor: 'local', tests: tmpdir(), command: 'true', report: 'report.xml', timeoutSeconds: 60, memoryMb: 256 },
  };
  return { slug, title: slug, file: `${slug}.yaml`, gitlab: { projectPath: `${slug}/{assignment}/{student}`, webhookSecret: null }, notify: { email: null, webhook: null }, assignments: [hw1] };
}

interface World {
  readonly db: Database;
  readonly gitlab: GitLabDouble;
  readonly producer: KafkaEventProducer;
  readonly brokers: readonly string[];
  readonly prefix: string;
  readonly deps: ReconcileDeps;
  readonly clock: { now: Date };
}

async function world(t: TestContext, courses: Course[]): Promise<World> {
  const db = await migratedTestDatabase(t);
  const gitlab = await startGitLabDouble();
  t.after(() => gitlab.close());
  const { connection, prefix } = testEnv();
  await provisionTopics(connection);
  const producer = new KafkaEventProducer(connection, 'reconcile-test');
  t.after(() => producer.close());
  const clock = { now: new Date(DEADLINE.getTime() + 2 * MINUTE) };
  const api = new GitLabReadApi({ baseUrl: gitlab.url, token: gitlab.token, sleep: async () => {} });
  const deps: ReconcileDeps = { db, gitlab: api, publisher: producer, courses, now: () => clock.now, log };
  return { db, gitlab, producer, brokers: connection.bootstrapBrokers, prefix, deps, clock };
}

/** The staff API with the reconcile route, over real HTTP; returns its URL. */
async function serve(t: TestContext, w: World): Promise<string> {
  const app = createHttpApp({ log, bodyLimitBytes: 1_000_000 });
  app.register(reconcileRoutes, {
    adminToken: ADMIN_TOKEN, courses: new Map(w.deps.courses.map((c) => [c.slug, c])),
    reconcile: (target, onOutcome) => reconcile(w.deps, target, onOutcome),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return url;
}

/** Every gitlab.push record of these keys, read up to a marker published now under each key. */
async function pushesOf(w: World, keys: readonly string[]): Promise<Envelope<'gitlab.push'>[]> {
  const markers = new Set<string>();
  for (const key of keys) {
    const [course = '', assignment = '', student = ''] = key.split(':');
    const id = stableId('marker', randomUUID());
    markers.add(id);
    const info = { id: 1, path: 'marker', webUrl: null, httpUrl: null, defaultBranch: null };
    const payload = reconciledPush({ course, assignment, student, info, branch: 'main', sha: '0'.repeat(40), push: null, pushedAt: DEADLINE });
    await w.producer.publish(EVENTS.gitlabPush, { id, key, payload });
  }
  const topic = topicName(w.prefix, TOPICS.gitlabPush.name);
  const records = await readTopic(w.brokers, topic, (all) => [...markers].every((id) => all.some((r) => decodeEvent(r.value).id === id)));
  // Markers of earlier calls are on the topic too: they are the pushes of project `marker`.
  return records.map((r) => decodeEvent(r.value))
    .filter((e): e is Envelope<'gitlab.push'> => e.type === 'gitlab.push' && e.payload.project.path !== 'marker' && keys.includes(e.key));
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write: (chunk, _encoding, done) => {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

test('reconcile emits the heads no webhook brought, once, dated by GitLab; the orchestrator records them like any push', async (t) => {
  const w = await world(t, [course('rci')]);
  const [ann, bob, cid] = [shaOf('rci ann'), shaOf('rci bob'), shaOf('rci cid')];
  w.gitlab.setProjects([{ id: 9001, path: 'rci/hw1/ann' }, { id: 9002, path: 'rci/hw1/bob' }, { id: 9003, path: 'rci/hw1/cid' }]);
  for (const [id, sha] of [[9001, ann], [9002, bob], [9003, cid]] as const) w.gitlab.setBranchHead(id, 'main', sha);
  // bob pushed a minute before the deadline (GitLab's clock); cid's push left no event.
  w.gitlab.addPushEvent(9002, { ref: 'main', commitTo: bob, createdAt: new Date(DEADLINE.getTime() - MINUTE), author: 'bob' });
  await recordSubmission(w.db, {
    eventId: randomUUID(), course: 'rci', assignment: 'hw1', student: 'ann', projectId: 9001, projectPath: 'rci/hw1/ann',
    ref: 'refs/heads/main', commitSha: ann, receivedAt: DEADLINE,
  });
  const url = await serve(t, w);
  const { config } = testEnv({ GRADEFLOW_ADMIN_TOKEN: ADMIN_TOKEN, GRADEFLOW_API_URL: url });
  const out = sink();
  const report = await runReconcile(config, { course: 'rci', assignment: 'hw1' }, out.stream);
  assert.deepEqual(report, { course: 'rci', assignments: ['hw1'], projects: 3, emitted: 2, upToDate: 1, skipped: 0, failed: 0 });
  assert.match(out.text(), /emitted {3}hw1 bob \(rci\/hw1\/bob\) [0-9a-f]{8} pushed at 2026-05-01T20:58:00.000Z \(GitLab push event\)/);
  assert.match(out.text(), /3 project\(s\), 2 missed push\(es\) emitted, 1 up to date/);

  const keys = ['rci:hw1:ann', 'rci:hw1:bob', 'rci:hw1:cid'];
  const first = await pushesOf(w, keys);
  assert.deepEqual(first.map((e) => [e.key, e.payload.checkoutSha, e.payload.receivedAt, e.payload.reconciled]).sort(), [
    ['rci:hw1:bob', bob, '2026-05-01T20:58:00.000Z', true],
    ['rci:hw1:cid', cid, w.clock.now.toISOString(), true],
  ]);
  assert.deepEqual(first.map((e) => e.id).sort(), [stableId('reconciled', '9002', bob), stableId('reconciled', '9003', cid)].sort());

  // Again before the orchestrator ran: the same events, which it records once.
  await reconcile(w.deps, { course: 'rci' });
  const both = await pushesOf(w, keys);
  assert.deepEqual(both.map((e) => e.id).sort(), [...first, ...first].map((e) => e.id).sort());
  const handle = orchestratorHandler({ db: w.db, publisher: w.producer, courses: new Map([['rci', w.deps.courses[0]!]]), gitlab: null });
  for (const event of both) await handle(event, { topic: 'gitlab.push', partition: 0, offset: 0n, key: event.key, log });
  const rows = await w.db.query<{ student: string; received_at: Date; late: boolean; status: string }>(
    "SELECT student, received_at, late, status FROM submissions WHERE course = 'rci' ORDER BY student",
  );
  assert.deepEqual(rows.rows.map((r) => [r.student, r.received_at.toISOString(), r.late, r.status]), [
    ['ann', DEADLINE.toISOString(), false, 'queued'],
    ['bob', '2026-05-01T20:58:00.000Z', false, 'queued'],
    ['cid', w.clock.now.toISOString(), true, 'queued'],
  ], 'bob is on time by GitLab\u2019s clock; cid, with no proof, is late');

  // Once recorded, the heads have submissions: nothing more to emit.
  const third = await reconcile(w.deps, { course: 'rci' });
  assert.deepEqual([third.emitted, third.upToDate], [0, 3]);
  assert.equal((await pushesOf(w, keys)).length, both.length);
});

test('the API refuses an unknown course before doing anything; the CLI says so', async (t) => {
  const w = await world(t, [course('rcj')]);
  const url = await serve(t, w);
  const { config } = testEnv({ GRADEFLOW_ADMIN_TOKEN: ADMIN_TOKEN, GRADEFLOW_API_URL: url });
  await assert.rejects(runReconcile(config, { course: 'nope' }, sink().stream), { code: 'RECONCILE_REFUSED', message: /404.*no course nope/ });
  const wrong = testEnv({ GRADEFLOW_ADMIN_TOKEN: 'another-admin-token-0123456789', GRADEFLOW_API_URL: url }).config;
  await assert.rejects(runReconcile(wrong, { course: 'rcj' }, sink().stream), { code: 'RECONCILE_REFUSED', message: /401/ });
  assert.equal(w.gitlab.calls.length, 0);
});

test('the schedule reconciles right after the deadline, with a hand-driven clock and timer', async (t) => {
  const w = await world(t, [course('rcs')]);
  const sha = shaOf('rcs dan');
  w.gitlab.setProjects([{ id: 9101, path: 'rcs/hw1/dan' }]);
  w.gitlab.setBranchHead(9101, 'main', sha);
  w.gitlab.addPushEvent(9101, { ref: 'main', commitTo: sha, createdAt: new Date(DEADLINE.getTime() - 5_000) });
  w.clock.now = new Date(DEADLINE.getTime() - 10 * MINUTE);
  const armed: { callback: () => void; ms: number }[] = [];
  const timer: ScheduleTimer = { set: (callback, ms) => armed.push({ callback, ms }), clear: () => {} };
  const schedule = startReconcileSchedule({ courses: w.deps.courses, reconcile: (target) => reconcile(w.deps, target), log, timer, now: () => w.clock.now });
  t.after(() => schedule.stop());
  assert.equal(armed.at(-1)?.ms, 12 * MINUTE, 'deadline plus two minutes of grace');
  assert.equal(w.gitlab.calls.length, 0, 'nothing is asked before the deadline');
  w.clock.now = new Date(DEADLINE.getTime() + 2 * MINUTE);
  armed.at(-1)?.callback();
  await schedule.settled();
  const pushes = await pushesOf(w, ['rcs:hw1:dan']);
  assert.deepEqual(pushes.map((e) => [e.payload.checkoutSha, e.payload.receivedAt, e.payload.reconciled]), [[sha, '2026-05-01T20:58:55.000Z', true]]);
  assert.equal(schedule.next()?.reason, 'cutoff');
});
