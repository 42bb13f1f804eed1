// The whole foundation as a user runs it: `gradeflow start` as a real process against the test
// broker and a real PostgreSQL database; GitLab's push payloads posted over HTTP; each push
// becomes exactly one event on gitlab.push (right key, murmur2 partition), one submission row
// and one status (the test course collects work without a check), and redeliveries change nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { TOPICS, decodeEvent, topicName } from '../../src/events/index.ts';
import { findFreePorts } from '../../src/kafka/local/ports.ts';
import { testBrokers, uniqueName } from '../support/kafka.ts';
import { readTopic } from '../support/kafka-read.ts';
import { javaPartitionForKey } from '../support/murmur2.ts';
import { createTestDatabase } from '../support/postgres.ts';
import type { TestDatabase } from '../support/postgres.ts';
import { postWebhook, pushPayload, shaOf, writeTestCourse } from '../support/gitlab.ts';
import { startGradeflow } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

describe('gradeflow start with a given cluster and PostgreSQL', () => {
  const prefix = `${uniqueName('e2e')}.`;
  const course = writeTestCourse();
  let db: TestDatabase;
  let sql: pg.Client;
  let app: RunningProcess;
  let url: string;
  const deliveries = Array.from({ length: 24 }, (_, i) => ({
    key: randomUUID(),
    body: pushPayload({ path: `algo-test/hw${(i % 2) + 1}/student-${i}`, projectId: 500 + i, sha: shaOf(`e2e-${i}`) }),
    expectedKey: `algo-test:hw${(i % 2) + 1}:student-${i}`,
  }));

  before(async () => {
    db = await createTestDatabase();
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const [port] = await findFreePorts(1);
    app = startGradeflow(['start'], {
      KAFKA_BROKERS: testBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_REPLICATION_FACTOR: '1',
      DATABASE_URL: db.url,
      PORT: String(port),
      GRADEFLOW_COURSES_DIR: course.dir,
      TEST_COURSE_SECRET: course.secret,
      GRADEFLOW_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
    });
    await app.waitForOutput('Press Ctrl-C to stop.');
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    const exit = await app?.stop('SIGTERM');
    await sql?.end();
    await db?.drop();
    assert.equal(exit, 0, `gradeflow exited with ${exit}:\n${app?.output().slice(-3000)}`);
  });

  const submissionCount = async () => Number((await sql.query('SELECT count(*) AS n FROM submissions')).rows[0].n);

  test('each posted push is one submission, one gitlab.push event with the right key and partition, one status', async () => {
    const answers = await Promise.all(deliveries.map((d) => postWebhook(url, d.body, { token: course.secret, idempotencyKey: d.key })));
    answers.forEach((a) => assert.equal(a.status, 202, JSON.stringify(a.json)));
    await waitFor('all submissions recorded', async () => (await submissionCount()) === deliveries.length).catch(async (error: Error) => {
      throw new Error(`${error.message} (${await submissionCount()} of ${deliveries.length}); gradeflow printed:\n${app.output().slice(-6000)}`);
    });
    const rows = (await sql.query('SELECT course, assignment, student, commit_sha, project_id, status, event_id FROM submissions')).rows;
    for (const [i, d] of deliveries.entries()) {
      const row = rows.find((r) => r.commit_sha === shaOf(`e2e-${i}`));
      assert.ok(row, `submission of delivery ${i}`);
      assert.equal(`${row.course}:${row.assignment}:${row.student}`, d.expectedKey);
      assert.equal(Number(row.project_id), 500 + i);
      assert.equal(row.status, 'recorded', 'the test course collects work without a check');
      assert.equal(row.event_id, answers[i]?.json.eventId);
    }
    const pushes = await readTopic(testBrokers(), topicName(prefix, TOPICS.gitlabPush.name), (r) => r.length >= deliveries.length);
    assert.equal(pushes.length, deliveries.length);
    for (const record of pushes) {
      assert.equal(record.partition, javaPartitionForKey(record.key ?? '', TOPICS.gitlabPush.partitions));
      assert.equal(decodeEvent(record.value).key, record.key);
    }
    assert.deepEqual(pushes.map((r) => r.key).sort(), deliveries.map((d) => d.expectedKey).sort());
    const statuses = await readTopic(testBrokers(), topicName(prefix, TOPICS.pipelineStatus.name), (r) => r.length >= deliveries.length);
    const recorded = statuses.map((r) => decodeEvent(r.value)).filter((e) => e.type === 'pipeline.status' && e.payload.state === 'skipped' && e.payload.code === 'not-checked');
    assert.equal(new Set(recorded.map((e) => e.id)).size, deliveries.length);
  });

  test('redeliveries (same key, or a lost cache and a new key for the same commit) create nothing new', async () => {
    const before = await submissionCount();
    const again = await Promise.all(deliveries.slice(0, 6).map((d) => postWebhook(url, d.body, { token: course.secret, idempotencyKey: d.key })));
    again.forEach((a) => assert.deepEqual([a.status, a.json.status], [200, 'duplicate']));
    const resent = await postWebhook(url, deliveries[7]?.body, { token: course.secret, idempotencyKey: randomUUID() });
    assert.equal(resent.status, 202, 'a new delivery id is a new event...');
    const marker = pushPayload({ path: 'algo-test/hw1/marker', projectId: 999, sha: shaOf('marker') });
    await postWebhook(url, marker, { token: course.secret, idempotencyKey: randomUUID() });
    await waitFor('marker recorded', async () => (await submissionCount()) === before + 1);
    const rows = (await sql.query('SELECT count(*) AS n FROM submissions WHERE commit_sha = $1', [shaOf('e2e-7')])).rows;
    assert.equal(Number(rows[0].n), 1, '...but the same commit stays one submission');
  });

  test('the API lists submissions for staff with the token, and refuses without it', async () => {
    const response = await fetch(`${url}/api/submissions?course=algo-test&assignment=hw1&student=student-0`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { submissions: Array<Record<string, unknown>> };
    assert.equal(body.submissions.length, 1);
    assert.deepEqual(Object.keys(body.submissions[0] ?? {}).sort(), ['assignment', 'commitSha', 'course', 'id', 'receivedAt', 'status', 'student']);
    assert.equal(body.submissions[0]?.commitSha, shaOf('e2e-0'));
    const anonymous = await fetch(`${url}/api/submissions`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${url}/api/submissions`, { headers: { authorization: 'Bearer nope-nope-nope-nope' } });
    assert.equal(wrong.status, 401);
    const bad = await fetch(`${url}/api/submissions?limit=0`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(bad.status, 400);
  });

  test('health, readiness and metrics answer; metric labels are bounded', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    const ready = await fetch(`${url}/readyz`);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { kafka: 'ok', database: 'ok' } });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /gradeflow_webhook_requests_total\{event="push",status="202",outcome="accepted"\} \d+/);
    assert.match(metrics, /gradeflow_kafka_produce_duration_seconds_count\{topic="gitlab.push",result="ok"\} \d+/);
    await waitFor('consumer lag reported', async () => /gradeflow_kafka_consumer_lag\{group="pipeline-orchestrators",topic="gitlab.push",partition="\d+"\}/.test(await (await fetch(`${url}/metrics`)).text()), { timeoutMs: 20_000 });
    assert.doesNotMatch(metrics, /student-\d|[0-9a-f]{40}/, 'no student names or SHAs in label values');
  });
});
