// notification-senders against real things: PostgreSQL, the GitLab double over HTTP with the
// real GitLabClient, an SMTP server (smtp-server) and an HTTP webhook receiver. Redeliveries are
// the same envelope handled again (and, once, the same record twice through Kafka).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { parseCourse } from '../../src/courses/index.ts';
import { admitSubmission, createCheck, markSubmission, migrate, openDatabase, recordSubmission } from '../../src/db/index.ts';
import type { Database } from '../../src/db/index.ts';
import { listNotifications } from '../../src/db/notifications.ts';
import { EVENTS, TOPICS, createEnvelope } from '../../src/events/index.ts';
import type { AnyEnvelope, PayloadInput } from '../../src/events/index.ts';
import { GitLabClient } from '../../src/gitlab/index.ts';
import { KafkaConsumerGroup, KafkaEventProducer, provisionTopics } from '../../src/kafka/index.ts';
import type { MessageHandler } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, notificationHandler, signature, statusName } from '../../src/notify/index.ts';
import { testEnv } from '../support/context.ts';
import { startGitLabDouble } from '../support/gitlab-double.ts';
import type { GitLabDouble } from '../support/gitlab-double.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';

const SMTP_PASS = 'smtp-pa55-0123456789';
const HOOK_SECRET = 'hook-secret-0123456789';
const HOOK_TOKEN = 'T0K3N-in-the-hook-path';
const PUBLIC_URL = 'https://gradeflow.example';
const KEY = 'algo:hw1:alice';
/** The status line's name is format's choice; pending, running and the grade must share it. */
const NAME = statusName({ assignment: 'hw1' });
const COURSE = `slug: algo
title: Algorithms
notify:
  email: { from: "Gradeflow <grades@uni.example>", to: "{student}@uni.example", smtpUrl: "\${SMTP_URL}" }
  webhook: { url: "\${HOOK_URL}", secret: "\${HOOK_SECRET}" }
assignments:
  - { slug: hw1, title: Sorting, deadline: "2026-12-01T23:59:00+03:00" }
`;

interface Hit { readonly path: string; readonly headers: IncomingHttpHeaders; readonly body: string }
interface Harness {
  readonly db: Database; readonly double: GitLabDouble; readonly log: Logger; readonly logs: () => string;
  readonly mails: string[]; readonly hooks: Hit[]; readonly hookAnswers: number[]; readonly handler: MessageHandler;
  handle(event: AnyEnvelope): Promise<void>;
}

async function setup(t: TestContext, { gitlab = true, smtpPass = SMTP_PASS } = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const db = await openDatabase({ url: database.url, dataDir: '/nonexistent' });
  t.after(async () => { await db.close(); await database.drop(); });
  await migrate(db);
  const double = await startGitLabDouble();
  t.after(() => double.close());
  let logs = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (logs += chunk.toString('utf8')));
  const log = createLogger('debug', 'notify-test', sink);
  const smtp = await startSmtp(t);
  const receiver = await startReceiver(t);
  const env = { SMTP_URL: `smtp://grader:${smtpPass}@127.0.0.1:${smtp.port}`, HOOK_URL: `${receiver.url}/hooks/${HOOK_TOKEN}`, HOOK_SECRET };
  const course = parseCourse(COURSE, '/courses/algo.yaml', env);
  // No waiting between GitLab retries: the retries themselves are what is tested.
  const client = new GitLabClient({ baseUrl: double.url, token: double.token, log, maxRetries: 3, sleep: async () => {} });
  const handler = notificationHandler({
    db, log, courses: new Map([[course.slug, course]]), gitlab: gitlab ? client : null, config: { http: { publicUrl: PUBLIC_URL } },
  });
  const handle = (event: AnyEnvelope) => handler(event, { topic: event.type, partition: 0, offset: 0n, key: event.key, log });
  return { db, double, log, logs: () => logs, mails: smtp.mails, hooks: receiver.hooks, hookAnswers: receiver.answers, handler, handle };
}

/** A real SMTP server taking user `grader` with SMTP_PASS only, over plain TCP. */
async function startSmtp(t: TestContext): Promise<{ port: number; mails: string[] }> {
  const mails: string[] = [];
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'], allowInsecureAuth: true, logger: false,
    onAuth: (auth, _session, done) => (auth.username === 'grader' && auth.password === SMTP_PASS
      ? done(null, { user: 'grader' }) : done(new Error('Invalid username or password'))),
    onData: (stream, _session, done) => {
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      stream.on('end', () => { mails.push(text); done(); });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => smtp.close(resolve)));
  return { port: (smtp.server.address() as AddressInfo).port, mails };
}

/** Records every POST; answers with the next of `answers`, else 204. */
async function startReceiver(t: TestContext): Promise<{ url: string; hooks: Hit[]; answers: number[] }> {
  const hooks: Hit[] = [];
  const answers: number[] = [];
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      hooks.push({ path: request.url ?? '', headers: request.headers, body });
      response.writeHead(answers.shift() ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  t.after(() => { receiver.closeAllConnections(); return new Promise<void>((resolve) => receiver.close(() => resolve())); });
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`, hooks, answers };
}

interface Seeded { readonly submissionId: string; readonly gradeId: string; readonly sha: string }

/** A submission on `main` of project 42, checked and graded 70/100 with 7 of 10 tests passed. */
async function seed(db: Database, { graded = true } = {}): Promise<Seeded> {
  const sha = randomUUID().replaceAll('-', '').padEnd(40, '0');
  const { submission } = await recordSubmission(db, {
    eventId: randomUUID(), course: 'algo', assignment: 'hw1', student: 'alice', projectId: 42, projectPath: 'algo/hw1/alice',
    ref: 'refs/heads/main', commitSha: sha, receivedAt: new Date(),
  });
  await admitSubmission(db, { submissionId: submission.id, priority: 'normal', late: false, queuedAt: new Date(), branch: 'main', repoUrl: null, projectWebUrl: null });
  const gradeId = randomUUID();
  if (!graded) return { submissionId: submission.id, gradeId, sha };
  const check = await createCheck(db, { id: randomUUID(), submissionId: submission.id, attempt: 1, executor: 'local', priority: 'normal', queuedAt: new Date() });
  await db.query(
    `INSERT INTO grades (id, submission_id, check_id, suite_version, policy_version, course, assignment, student, score, max_score,
       raw_score, passed, total, verdict, graded_at) VALUES ($1, $2, $3, 's', 'p', 'algo', 'hw1', 'alice', 70, 100, 70, 7, 10, 'graded', now())`,
    [gradeId, submission.id, check.id],
  );
  for (let i = 0; i < 10; i += 1) {
    await db.query(`INSERT INTO test_results (grade_id, position, name, status, points, max_points, message) VALUES ($1, $2, $3, $4, $5, 10, $6)`,
      [gradeId, i, `sorts case ${i}`, i < 7 ? 'passed' : 'failed', i < 7 ? 10 : 0, i < 7 ? null : `expected ${i} elements`]);
  }
  await markSubmission(db, submission.id, 'graded', new Date());
  return { submissionId: submission.id, gradeId, sha };
}

const gradePayload = (s: Seeded, notify = true): PayloadInput<'grading.completed'> => ({
  gradeId: s.gradeId, submissionId: s.submissionId, course: 'algo', assignment: 'hw1', student: 'alice', commitSha: s.sha,
  score: 70, maxScore: 100, passed: 7, total: 10, verdict: 'graded', notify,
});
type StatusExtra = Partial<PayloadInput<'pipeline.status'>> & Pick<PayloadInput<'pipeline.status'>, 'state'>;
const statusPayload = (s: Seeded, extra: StatusExtra): PayloadInput<'pipeline.status'> => ({
  submissionId: s.submissionId, course: 'algo', assignment: 'hw1', student: 'alice', commitSha: s.sha, reason: null, projectId: 42, ...extra,
});
const gradeEvent = (s: Seeded, notify = true): AnyEnvelope => createEnvelope(EVENTS.gradingCompleted, 'test', { key: KEY, payload: gradePayload(s, notify) });
const statusEvent = (s: Seeded, extra: StatusExtra): AnyEnvelope => createEnvelope(EVENTS.pipelineStatus, 'test', { key: KEY, payload: statusPayload(s, extra) });

const posts = (double: GitLabDouble, part: string) => double.calls.filter((call) => call.method === 'POST' && call.path.includes(part));
const mailHeader = (mail: string, name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(mail)?.[1];

test('a grade: status, one commit comment with the test table, e-mail and signed webhook, once each however often delivered', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  const event = gradeEvent(s);
  await h.handle(event);
  await Promise.all([h.handle(event), h.handle(event)]);
  await h.handle(event);
  assert.deepEqual(h.double.statuses.map((st) => [st.project, st.sha, st.name, st.state, st.description, st.targetUrl]),
    [['42', s.sha, NAME, 'failed', 'Score 70/100 (7/10 tests)', `${PUBLIC_URL}/api/submissions/${s.submissionId}`]]);
  assert.equal(posts(h.double, '/statuses/').length, 1);
  assert.equal(h.double.notes.length, 1);
  const note = h.double.notes[0]!;
  assert.deepEqual([note.kind, note.target], ['commit', s.sha]);
  assert.match(note.body, /^### ❌ Score: 70\/100\n/);
  assert.match(note.body, /\| `sorts case 7` \| ❌ failed \| 0\/10 \| `expected 7 elements` \|/);
  assert.equal(h.mails.length, 1);
  assert.equal(mailHeader(h.mails[0]!, 'To'), 'alice@uni.example');
  assert.equal(mailHeader(h.mails[0]!, 'Subject'), '[algo] hw1: Score 70/100 (7/10 tests)');
  assert.equal(h.hooks.length, 1);
  const hook = h.hooks[0]!;
  assert.equal(hook.path, `/hooks/${HOOK_TOKEN}`);
  assert.equal(hook.headers[SIGNATURE_HEADER], signature(HOOK_SECRET, hook.body));
  assert.equal(hook.headers[DELIVERY_HEADER], `grade:${s.gradeId}`);
  assert.equal(JSON.parse(hook.body).grade.tests.length, 10);
  assert.deepEqual((await listNotifications(h.db, `grade:${s.gradeId}`)).map((n) => [n.channel, n.detail]),
    [['email', 'sent'], ['gitlab-comment', 'commit comment'], ['gitlab-status', 'status failed'], ['webhook', 'HTTP 204']]);
  const { rows } = await h.db.query<{ status: string; notified: boolean }>('SELECT status, notified_at IS NOT NULL AS notified FROM submissions WHERE id = $1', [s.submissionId]);
  assert.deepEqual(rows[0], { status: 'graded', notified: true });
});

test('two deliveries at once: each channel sent once; the one that found a claim taken fails transiently, and its retry sends nothing', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  const event = gradeEvent(s);
  const racing = await Promise.allSettled([h.handle(event), h.handle(event)]);
  const refused = racing.flatMap((r) => (r.status === 'rejected' ? [r.reason as { code?: string; retryable?: boolean }] : []));
  assert.ok(refused.every((e) => e.retryable === true && /^NOTIFY_(IN_PROGRESS|FAILED)$/.test(e.code ?? '')), `refused: ${JSON.stringify(refused)}`);
  await h.handle(event);
  assert.deepEqual([posts(h.double, '/statuses/').length, h.double.notes.length, h.mails.length, h.hooks.length], [1, 1, 1, 1]);
});

test('a claim left by a sender that died before sending is taken over after the lease: the student is told', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  const key = `grade:${s.gradeId}`;
  // The dead sender claimed the comment 3 minutes ago and never sent it.
  await h.db.query("INSERT INTO notifications (key, channel, detail, sent_at) VALUES ($1, 'gitlab-comment', 'claimed', now() - interval '3 minutes')", [key]);
  await h.handle(gradeEvent(s));
  assert.equal(h.double.notes.length, 1);
  assert.equal((await listNotifications(h.db, key)).find((n) => n.channel === 'gitlab-comment')?.detail, 'commit comment');
  // A fresh claim is another sender at work: not taken over, retried later.
  const other = await seed(h.db);
  await h.db.query("INSERT INTO notifications (key, channel, detail) VALUES ($1, 'gitlab-comment', 'claimed')", [`grade:${other.gradeId}`]);
  await assert.rejects(h.handle(gradeEvent(other)), { code: 'NOTIFY_IN_PROGRESS', retryable: true });
  assert.equal(h.double.notes.length, 1);
});

test('an open merge request from the submission branch gets the note instead of the commit', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  h.double.setMergeRequests(42, s.sha, [{ iid: 3, sourceBranch: 'other' }, { iid: 7, sourceBranch: 'main' }, { iid: 9, sourceBranch: 'main', state: 'closed' }]);
  await h.handle(gradeEvent(s));
  await h.handle(gradeEvent(s));
  assert.deepEqual(h.double.notes.map((n) => [n.kind, n.target]), [['merge_request', '7']]);
  assert.equal(posts(h.double, '/comments').length, 0);
});

test('notify=false: nothing is sent, and that is recorded', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  await h.handle(gradeEvent(s, false));
  assert.deepEqual([h.double.calls.length, h.mails.length, h.hooks.length], [0, 0, 0]);
  assert.deepEqual((await listNotifications(h.db, `grade:${s.gradeId}`)).map((n) => [n.channel, n.detail]), [['suppressed', 'notify=false']]);
});

test('queued: a pending status with the queue position, posted once when redelivered', async (t) => {
  const h = await setup(t);
  await seed(h.db, { graded: false });
  await seed(h.db, { graded: false });
  const s = await seed(h.db, { graded: false });
  const queued = statusEvent(s, { state: 'queued' });
  await h.handle(queued);
  await h.handle(queued);
  assert.deepEqual(h.double.statuses.map((st) => [st.sha, st.name, st.state, st.description]), [[s.sha, NAME, 'pending', 'Queued: 2 checks ahead']]);
  assert.equal(posts(h.double, '/statuses/').length, 1);
  await h.handle(statusEvent(s, { state: 'running' }));
  assert.deepEqual(h.double.statuses.map((st) => st.state), ['pending', 'running']);
});

test('queued/running after the grade is not shown: it would hide the result', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  await h.handle(statusEvent(s, { state: 'running' }));
  assert.equal(h.double.calls.length, 0);
});

test('duplicate commit: a comment saying why, but no status over the existing result', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  const reason = `Commit ${s.sha.slice(0, 8)} was already checked: push a new commit to be checked again.`;
  await h.handle(statusEvent(s, { state: 'skipped', code: 'duplicate-commit', reason }));
  assert.equal(posts(h.double, '/statuses/').length, 0);
  assert.deepEqual(h.double.notes.map((n) => [n.kind, n.target]), [['commit', s.sha]]);
  assert.ok(h.double.notes[0]!.body.includes(reason));
});

test('skipped for a wrong branch: skipped status with the reason, and a comment', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db, { graded: false });
  const reason = 'Pushes to `dev` are not submissions: push to `main`.';
  await h.handle(statusEvent(s, { state: 'skipped', code: 'wrong-branch', reason }));
  assert.deepEqual(h.double.statuses.map((st) => [st.state, st.description]), [['skipped', reason]]);
  assert.equal(h.double.notes.length, 1);
});

test('GitLab answers 503 twice, then takes the status: delivered once', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  h.double.failNext('/statuses/', 503, { times: 2 });
  await h.handle(gradeEvent(s));
  assert.equal(posts(h.double, '/statuses/').length, 3);
  assert.equal(h.double.statuses.length, 1);
});

test('GitLab down: e-mail and webhook still go, the grade is retried until GitLab takes it, nothing twice', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db);
  h.double.failNext('/statuses/', 503, { times: 4 });
  await assert.rejects(h.handle(gradeEvent(s)), (error: Error & { retryable?: boolean }) => error.retryable === true);
  assert.deepEqual([h.double.statuses.length, h.double.notes.length, h.mails.length, h.hooks.length], [0, 1, 1, 1]);
  await h.handle(gradeEvent(s));
  assert.deepEqual([h.double.statuses.length, h.double.notes.length, h.mails.length, h.hooks.length], [1, 1, 1, 1]);
});

test('GitLab down for a queued status: dropped with a warning, the message is not held', async (t) => {
  const h = await setup(t);
  const s = await seed(h.db, { graded: false });
  h.double.failNext('/statuses/', 503, { times: 4 });
  await h.handle(statusEvent(s, { state: 'queued' }));
  assert.equal(h.double.statuses.length, 0);
  assert.match(h.logs(), /queued\/running status not shown on GitLab; dropped/);
});

test('without GitLab: e-mail and webhook only', async (t) => {
  const h = await setup(t, { gitlab: false });
  const s = await seed(h.db);
  await h.handle(gradeEvent(s));
  await h.handle(statusEvent(s, { state: 'skipped', code: 'after-cutoff' }));
  assert.deepEqual([h.double.calls.length, h.mails.length, h.hooks.length], [0, 1, 1]);
});

test('failures name no secret: SMTP refusing the login, the webhook refusing the POST', async (t) => {
  const h = await setup(t, { smtpPass: 'wrong-pa55-0123456789' });
  const s = await seed(h.db);
  h.hookAnswers.push(403);
  const error = await h.handle(gradeEvent(s)).then(() => assert.fail('expected a failure'), (e: unknown) => e as Error & { retryable?: boolean });
  assert.equal(error.retryable, false, 'a refused login and a 403 need a person');
  h.log.error({ err: error }, 'record cannot be processed');
  const text = `${h.logs()}\n${error.message}\n${JSON.stringify(error)}\n${String((error.cause as AggregateError).errors.map(String))}`;
  assert.match(text, /e-mail could not be sent/);
  assert.match(text, /webhook at http:\/\/127\.0\.0\.1:\d+ answered HTTP 403/);
  for (const secret of ['wrong-pa55-0123456789', SMTP_PASS, HOOK_SECRET, HOOK_TOKEN]) assert.ok(!text.includes(secret), `${secret} leaked`);
  assert.equal(h.double.statuses.length, 1, 'GitLab was told regardless');
});

test('through Kafka: the same records delivered twice reach the student once', async (t) => {
  const h = await setup(t);
  const env = testEnv();
  await provisionTopics(env.connection);
  const producer = new KafkaEventProducer(env.connection, 'notify-test');
  t.after(() => producer.close());
  const graded = await seed(h.db);
  const waiting = await seed(h.db, { graded: false });
  const [gradeId, statusId] = [randomUUID(), randomUUID()];
  for (let i = 0; i < 2; i += 1) {
    await producer.publish(EVENTS.gradingCompleted, { id: gradeId, key: KEY, payload: gradePayload(graded) });
    await producer.publish(EVENTS.pipelineStatus, { id: statusId, key: KEY, payload: statusPayload(waiting, { state: 'queued' }) });
  }
  let handled = 0;
  const group = new KafkaConsumerGroup(env.connection, {
    group: 'notification-senders', topics: [TOPICS.gradingCompleted.name, TOPICS.pipelineStatus.name], log: h.log,
    deadLetters: { send: async () => assert.fail('nothing should be dead-lettered') },
    observer: { processed: () => void (handled += 1), deadLettered: () => {}, lag: () => {} },
  });
  t.after(() => group.close());
  await group.consume(h.handler);
  await waitFor('four records handled', () => handled >= 4);
  assert.deepEqual(h.double.statuses.map((st) => [st.sha, st.state]).sort(), [[graded.sha, 'failed'], [waiting.sha, 'pending']].sort());
  assert.deepEqual([h.double.notes.length, h.mails.length, h.hooks.length], [1, 1, 1]);
});
