// result-processors against the real broker, a real PostgreSQL database and a filesystem
// artifact store: a test.result becomes one grade with its tests, the check and submission are
// marked, grading.completed lands on its topic; redeliveries, late pushes, broken reports and
// re-grades; then the staff API over the same data.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Course } from '../../src/courses/index.ts';
import { admitSubmission, createCheck, gradeOfSubmission, migrate, openDatabase, recordSubmission, submissionDetail } from '../../src/db/index.ts';
import type { Database } from '../../src/db/index.ts';
import { EVENTS, TOPICS, createEnvelope, decodeEvent, stableId, topicName } from '../../src/events/index.ts';
import type { AnyEnvelope, TestResult } from '../../src/events/index.ts';
import { resultProcessorHandler } from '../../src/grading/result-processor.ts';
import { KafkaEventProducer, provisionTopics } from '../../src/kafka/index.ts';
import type { MessageHandler } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { FsArtifactStore } from '../../src/storage/index.ts';
import { createHttpApp, gradesRoutes } from '../../src/web/index.ts';
import { testEnv } from '../support/context.ts';
import { readTopic } from '../support/kafka-read.ts';
import { createTestDatabase } from '../support/postgres.ts';

const JEST = await readFile(new URL('../../../shared/fixtures/junit/jest-junit.xml', import.meta.url));
const ALL_PASS = '<testsuite name="s"><testcase classname="c" name="one"/><testcase classname="c" name="two"/></testsuite>';
const DEADLINE = new Date('2026-12-01T00:00:00Z');
const TOKEN = 'grades-api-token-0123456789';
const log = createLogger('silent');
const env = testEnv();
const gradingTopic = topicName(env.prefix, TOPICS.gradingCompleted.name);

let db: Database;
let producer: KafkaEventProducer;
let store: FsArtifactStore;
let handler: MessageHandler;
let hiddenTests: string;
let course: Course;
let clock = Date.parse('2026-12-10T00:00:00Z');
const cleanups: Array<() => Promise<unknown>> = [];

function testCourse(tests: string): Course {
  return {
    slug: 'algo', title: 'Algorithms', file: 'algo.yaml', gitlab: { projectPath: 'algo/{assignment}/{student}', webhookSecret: null },
    notify: { email: null, webhook: null },
    assignments: [{
      slug: 'hw1', title: 'Sorting', opens: null, deadline: DEADLINE, exam: false, branch: null, counts: 'best',
      late: { penaltyPercentPerDay: 10, cutoff: new Date('2026-12-05T00:00:00Z') }, attempts: { perHour: null, max: null },
      check: { executor: 'local', tests, command: 'npm test', report: 'report.xml', timeoutSeconds: 60, memoryMb: 512 },
      scoring: { maxScore: 100, weights: {}, default: 1 },
    }],
  };
}

before(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'gradeflow-grading-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  db = await openDatabase({ url: database.url, dataDir: dir });
  cleanups.push(() => db.close());
  await migrate(db);
  await provisionTopics(env.connection);
  producer = new KafkaEventProducer(env.connection, 'result-processors');
  cleanups.push(() => producer.close());
  store = new FsArtifactStore(path.join(dir, 'artifacts'));
  hiddenTests = path.join(dir, 'hidden');
  await mkdir(hiddenTests);
  await writeFile(path.join(hiddenTests, 'sort.test.js'), 'test("sorts", () => {})');
  course = testCourse(hiddenTests);
  const context = { db, publisher: producer, courses: new Map([[course.slug, course]]), gitlab: null, artifacts: store, log, metrics: createMetrics() };
  // A clock that only moves forward, so a re-grade is always graded after the grade it follows.
  handler = resultProcessorHandler(context, { now: () => new Date((clock += 1000)) });
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Seeded { submissionId: string; checkId: string; student: string; key: string }

let projects = 0;

async function seed(student: string, receivedAt: Date): Promise<Seeded> {
  projects += 1;
  const { submission } = await recordSubmission(db, {
    eventId: randomUUID(), course: 'algo', assignment: 'hw1', student, projectId: projects, projectPath: `algo/hw1/${student}`,
    ref: 'refs/heads/main', commitSha: projects.toString(16).padStart(40, 'a'), receivedAt,
  });
  await admitSubmission(db, { submissionId: submission.id, priority: 'normal', late: receivedAt > DEADLINE, queuedAt: receivedAt, branch: 'main', repoUrl: null, projectWebUrl: null });
  return { submissionId: submission.id, checkId: await addCheck(submission.id, 1), student, key: `algo:hw1:${student}` };
}

async function addCheck(submissionId: string, attempt: number): Promise<string> {
  return (await createCheck(db, { id: randomUUID(), submissionId, attempt, executor: 'local', priority: 'normal', queuedAt: new Date() })).id;
}

async function report(s: Seeded, name: string, xml: string | Buffer): Promise<TestResult['source']> {
  return { kind: 'junit', reportUris: [await store.put(`${s.submissionId}/${name}`, xml)] };
}

function result(s: Seeded, source: TestResult['source'], extra: Partial<TestResult> = {}): AnyEnvelope {
  return createEnvelope(EVENTS.testResult, 'check-runners', {
    key: s.key,
    payload: {
      checkId: s.checkId, submissionId: s.submissionId, course: 'algo', assignment: 'hw1', student: s.student,
      commitSha: 'b'.repeat(40), executor: 'local', verdict: 'completed', message: '', source, logUri: null,
      startedAt: '2026-12-10T00:00:00.000Z', finishedAt: '2026-12-10T00:00:30.000Z', ...extra,
    },
  }) as AnyEnvelope;
}

const handle = (event: AnyEnvelope) => handler(event, { topic: 'pipeline.results', partition: 0, offset: 0n, key: event.key, log });

async function completions(s: Seeded, count: number) {
  const records = await readTopic(env.connection.bootstrapBrokers, gradingTopic, (all) => all.filter((r) => r.key === s.key).length >= count);
  return records.filter((r) => r.key === s.key).map((r) => ({ raw: r.value, event: decodeEvent(r.value) }));
}

function payloadOf(event: AnyEnvelope) {
  assert.equal(event.type, 'grading.completed');
  return event.type === 'grading.completed' ? event.payload : assert.fail('not a grading.completed');
}

async function count(sql: string, id: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(sql, [id]);
  return Number(rows[0]?.n);
}

describe('result-processors', () => {
  test('a JUnit report is graded, stored and announced; a redelivery changes nothing and re-emits the same event', async () => {
    const s = await seed('alice', new Date('2026-11-30T12:00:00Z'));
    const event = result(s, await report(s, 'report-1.xml', JEST), { logUri: await store.put(`${s.submissionId}/log.txt`, 'npm test\nok') });
    await handle(event);
    const grade = await gradeOfSubmission(db, s.submissionId);
    // jest-junit.xml: 8 cases, 3 passed, every test worth 1 point.
    assert.deepEqual([grade?.verdict, grade?.score, grade?.rawScore, grade?.passed, grade?.total, grade?.tests.length], ['graded', 37.5, 37.5, 3, 8, 8]);
    assert.equal(grade?.id, stableId('grade', s.submissionId, grade?.suiteVersion ?? '', grade?.policyVersion ?? ''));
    const detail = await submissionDetail(db, s.submissionId);
    assert.equal(detail?.status, 'graded');
    assert.equal(detail?.times.finished?.toISOString(), '2026-12-10T00:00:30.000Z');
    assert.ok(detail?.times.graded instanceof Date);
    assert.deepEqual([detail?.check?.verdict, detail?.check?.reportUris.length], ['graded', 1]);
    await handle(event);
    assert.equal(await count('SELECT count(*) AS n FROM grades WHERE submission_id = $1', s.submissionId), 1);
    assert.equal(await count('SELECT count(*) AS n FROM test_results WHERE grade_id = $1', grade?.id ?? ''), 8);
    const [first, second, ...rest] = await completions(s, 2);
    assert.deepEqual(rest, []);
    assert.equal(first?.event.id, stableId('grading.completed', grade?.id ?? ''));
    assert.equal(second?.raw, first?.raw, 'the redelivery re-emits the identical event');
    assert.deepEqual(payloadOf(first?.event ?? assert.fail()), {
      gradeId: grade?.id, submissionId: s.submissionId, course: 'algo', assignment: 'hw1', student: 'alice',
      commitSha: detail?.commitSha, score: 37.5, maxScore: 100, passed: 3, total: 8, verdict: 'graded', notify: true,
    });
  });

  test('a late push loses the late penalty', async () => {
    const s = await seed('bob', new Date('2026-12-02T12:00:00Z'));
    await handle(result(s, await report(s, 'report-1.xml', JEST)));
    const grade = await gradeOfSubmission(db, s.submissionId);
    // 2 started days late at 10 %/day: 37.5 - 20 % = 30.
    assert.deepEqual([grade?.rawScore, grade?.latePenaltyPercent, grade?.score], [37.5, 20, 30]);
    assert.equal(payloadOf((await completions(s, 1))[0]?.event ?? assert.fail()).score, 30);
  });

  test('a corrupt report is a system error, not a zero; the retried check gets a grade of its own', async () => {
    const s = await seed('carol', new Date('2026-11-30T12:00:00Z'));
    await handle(result(s, await report(s, 'report-1.xml', '<testsuite><testcase name="x">')));
    const failed = await gradeOfSubmission(db, s.submissionId);
    assert.deepEqual([failed?.verdict, failed?.score, failed?.tests.length], ['system-error', 0, 0]);
    assert.match(failed?.message ?? '', /could not be read.*system error/s);
    // `error`, not `graded`: admission does not count it as one of the student's attempts.
    assert.equal((await submissionDetail(db, s.submissionId))?.status, 'error');
    const retry = { ...s, checkId: await addCheck(s.submissionId, 2) };
    await handle(result(retry, await report(s, 'report-2.xml', JEST)));
    const graded = await gradeOfSubmission(db, s.submissionId);
    assert.deepEqual([graded?.verdict, graded?.score], ['graded', 37.5]);
    assert.notEqual(graded?.id, failed?.id);
    const events = (await completions(s, 2)).map((c) => payloadOf(c.event));
    assert.deepEqual(events.map((e) => [e.verdict, e.notify]), [['system-error', true], ['graded', true]]);
  });

  test('a re-grade after a test change is a new grade; announced only when the score changed', async () => {
    const s = await seed('dave', new Date('2026-11-30T12:00:00Z'));
    await handle(result(s, await report(s, 'report-1.xml', JEST)));
    await writeFile(path.join(hiddenTests, 'fixed.test.js'), 'test("fixed", () => {})');
    const regrade = { ...s, checkId: await addCheck(s.submissionId, 2) };
    await handle(result(regrade, await report(s, 'report-2.xml', JEST)));
    await writeFile(path.join(hiddenTests, 'fixed.test.js'), 'test("fixed again", () => {})');
    const third = { ...s, checkId: await addCheck(s.submissionId, 3) };
    await handle(result(third, await report(s, 'report-3.xml', ALL_PASS)));
    const events = (await completions(s, 3)).map((c) => payloadOf(c.event));
    assert.deepEqual(events.map((e) => [e.score, e.notify]), [[37.5, true], [37.5, false], [100, true]]);
    assert.equal(new Set(events.map((e) => e.gradeId)).size, 3);
    assert.equal(await count('SELECT count(*) AS n FROM grades WHERE submission_id = $1', s.submissionId), 3);
  });

  test('a runner limit scores 0 with its verdict; unknown courses and other events are permanent errors', async () => {
    const s = await seed('erin', new Date('2026-11-30T12:00:00Z'));
    await handle(result(s, await report(s, 'report-1.xml', JEST), { verdict: 'time-limit', message: 'stopped after 60 s' }));
    const grade = await gradeOfSubmission(db, s.submissionId);
    assert.deepEqual([grade?.verdict, grade?.score, grade?.message, grade?.tests.length, grade?.tests.every((t) => t.points === 0)],
      ['time-limit', 0, 'stopped after 60 s', 8, true]);
    await assert.rejects(handle(result({ ...s }, { kind: 'none' }, { course: 'nope' })), { code: 'COURSE_UNKNOWN', retryable: false });
    const other = createEnvelope(EVENTS.pipelineStatus, 'x', { key: s.key, payload: { submissionId: s.submissionId, course: 'algo', assignment: 'hw1', student: 'erin', commitSha: 'c'.repeat(40), state: 'queued', reason: null } });
    await assert.rejects(handle(other as AnyEnvelope), { code: 'EVENT_WRONG_TYPE', retryable: false, message: /pipeline\.status@1 .* expected test\.result/ });
    assert.equal(await count('SELECT count(*) AS n FROM grades WHERE submission_id = $1', s.submissionId), 1);
  });
});

describe('grades API', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  let app: ReturnType<typeof createHttpApp>;
  let graded: Seeded;

  before(async () => {
    app = createHttpApp({ log, bodyLimitBytes: 1024 });
    await app.register(gradesRoutes, { adminToken: TOKEN, db, courses: new Map([[course.slug, course]]), artifacts: store });
    graded = await seed('=HYPERLINK("http://x")', new Date('2026-11-30T12:00:00Z'));
    await handle(result(graded, await report(graded, 'report-1.xml', JEST), { logUri: await store.put(`${graded.submissionId}/log.txt`, 'ran 8 tests') }));
  });
  after(() => app.close());

  test('every route needs the bearer token', async () => {
    for (const url of [`/api/submissions/${graded.submissionId}`, '/api/grades?course=algo&assignment=hw1']) {
      assert.equal((await app.inject({ url })).statusCode, 401);
      assert.equal((await app.inject({ url, headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode, 401);
    }
  });

  test('a submission: grade, tests, six times and links; its log and report', async () => {
    const answer = await app.inject({ url: `/api/submissions/${graded.submissionId}`, headers: auth });
    assert.equal(answer.statusCode, 200);
    const body = answer.json();
    assert.deepEqual([body.score, body.maxScore, body.verdict, body.latePenaltyPercent, body.tests.length, body.status], [37.5, 100, 'graded', 0, 8, 'graded']);
    assert.deepEqual(Object.keys(body.tests[0]).sort(), ['maxPoints', 'message', 'name', 'points', 'status']);
    assert.deepEqual(body.times, { received: '2026-11-30T12:00:00.000Z', queued: '2026-11-30T12:00:00.000Z', started: null, finished: '2026-12-10T00:00:30.000Z', graded: body.times.graded, notified: null });
    assert.match(body.times.graded, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(body.links, { log: `/api/submissions/${graded.submissionId}/log`, report: `/api/submissions/${graded.submissionId}/report` });
    const logAnswer = await app.inject({ url: body.links.log, headers: auth });
    assert.deepEqual([logAnswer.statusCode, logAnswer.headers['content-type'], logAnswer.body], [200, 'text/plain; charset=utf-8', 'ran 8 tests']);
    const reportAnswer = await app.inject({ url: body.links.report, headers: auth });
    assert.deepEqual([reportAnswer.statusCode, reportAnswer.headers['content-type']], [200, 'application/xml']);
    assert.deepEqual(reportAnswer.rawPayload, JEST);
    assert.equal((await app.inject({ url: `${body.links.report}?part=2`, headers: auth })).statusCode, 404);
  });

  test('unknown and malformed submission ids', async () => {
    assert.equal((await app.inject({ url: `/api/submissions/${randomUUID()}`, headers: auth })).json().error, 'SUBMISSION_NOT_FOUND');
    const bad = await app.inject({ url: '/api/submissions/not-a-uuid', headers: auth });
    assert.deepEqual([bad.statusCode, bad.json().error], [400, 'INVALID_REQUEST']);
  });

  test('the grade book as JSON and as CSV, with formula cells neutralised', async () => {
    const json = await app.inject({ url: '/api/grades?course=algo&assignment=hw1', headers: auth });
    const mine = json.json().grades.find((g: { student: string }) => g.student === graded.student);
    assert.deepEqual(mine, { student: graded.student, submissionId: graded.submissionId, commitSha: mine.commitSha, score: 37.5, maxScore: 100, verdict: 'graded', late: false, latePenaltyPercent: 0, submittedAt: '2026-11-30T12:00:00.000Z' });
    const csv = await app.inject({ url: '/api/grades?course=algo&assignment=hw1&format=csv', headers: auth });
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(csv.headers['content-disposition'], 'attachment; filename="algo-hw1-grades.csv"');
    const lines = csv.body.split('\r\n');
    assert.equal(lines[0], 'student,submissionId,commitSha,score,maxScore,verdict,late,latePenaltyPercent,submittedAt');
    assert.ok(lines.includes(`"'=HYPERLINK(""http://x"")",${graded.submissionId},${mine.commitSha},37.5,100,graded,false,0,2026-11-30T12:00:00.000Z`), csv.body);
  });

  test('unknown course or assignment is 404, a missing parameter 400', async () => {
    const course404 = await app.inject({ url: '/api/grades?course=nope&assignment=hw1', headers: auth });
    assert.deepEqual([course404.statusCode, course404.json().error], [404, 'COURSE_NOT_FOUND']);
    const assignment404 = await app.inject({ url: '/api/grades?course=algo&assignment=nope', headers: auth });
    assert.deepEqual([assignment404.statusCode, assignment404.json().error], [404, 'ASSIGNMENT_NOT_FOUND']);
    assert.equal((await app.inject({ url: '/api/grades?course=algo', headers: auth })).statusCode, 400);
  });
});
