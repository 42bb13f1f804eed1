// Scaling out and crashing: the gateway and a pipeline-orchestrators worker as separate
// processes; the worker is SIGKILLed in the middle of a stream of 1,000 pushes and started
// again. Offsets are committed only after a submission is saved, and saving is idempotent, so
// the end state is exactly 1,000 submissions: none lost, none twice.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import pg from 'pg';
import { findFreePorts } from '../../src/kafka/local/ports.ts';
import { testBrokers, uniqueName } from '../support/kafka.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { postWebhook, pushPayload, shaOf, writeTestCourse } from '../support/gitlab.ts';
import { startGradeflow } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';

const PUSHES = 1000;
const CONCURRENCY = 20;

test('SIGKILL of a worker mid-stream, then a restart, ends with exactly 1,000 submissions', { timeout: 240_000 }, async (t) => {
  const db = await createTestDatabase();
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  const processes: RunningProcess[] = [];
  // One hook, in order: processes first, then our connection, then the database itself.
  t.after(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    await sql.end();
    await db.drop();
  });
  const course = writeTestCourse();
  const [gatewayPort, workerPort, secondWorkerPort] = await findFreePorts(3);
  const env = {
    KAFKA_BROKERS: testBrokers().join(','),
    KAFKA_TOPIC_PREFIX: `${uniqueName('crash')}.`,
    KAFKA_REPLICATION_FACTOR: '1',
    DATABASE_URL: db.url,
    GRADEFLOW_COURSES_DIR: course.dir,
    TEST_COURSE_SECRET: course.secret,
    LOG_LEVEL: 'warn',
  };
  const start = (args: string[], port: number | undefined) => {
    const running = startGradeflow(args, { ...env, PORT: String(port) });
    processes.push(running);
    return running;
  };
  const gateway = start(['gateway'], gatewayPort);
  const firstWorker = start(['worker', 'pipeline-orchestrators'], workerPort);
  await Promise.all([gateway.waitForHealthy(`http://127.0.0.1:${gatewayPort}`), firstWorker.waitForHealthy(`http://127.0.0.1:${workerPort}`)]);
  const count = async () => Number((await sql.query('SELECT count(*) AS n FROM submissions')).rows[0].n);

  let killedAt = -1;
  const killer = waitFor('20% of the pushes recorded', async () => (await count()) >= PUSHES / 5, { timeoutMs: 120_000 }).then(async () => {
    killedAt = await count();
    await firstWorker.stop('SIGKILL');
  });
  let next = 0;
  const post = async () => {
    while (next < PUSHES) {
      const i = next++;
      const body = pushPayload({ path: `algo-test/hw1/s${i}`, projectId: 10_000 + i, sha: shaOf(`crash-${i}`) });
      const answer = await postWebhook(`http://127.0.0.1:${gatewayPort}`, body, { token: course.secret, idempotencyKey: randomUUID() });
      assert.equal(answer.status, 202, JSON.stringify(answer.json));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, post));
  await killer;
  assert.ok(killedAt >= PUSHES / 5 && killedAt < PUSHES, `worker killed mid-stream (at ${killedAt})`);
  t.diagnostic(`worker SIGKILLed after ${killedAt} of ${PUSHES} submissions`);

  const secondWorker = start(['worker', 'pipeline-orchestrators'], secondWorkerPort);
  await secondWorker.waitForHealthy(`http://127.0.0.1:${secondWorkerPort}`);
  await waitFor(`${PUSHES} submissions`, async () => (await count()) >= PUSHES, { timeoutMs: 120_000 });
  const totals = (await sql.query('SELECT count(*) AS n, count(DISTINCT event_id) AS events, count(DISTINCT commit_sha) AS commits FROM submissions')).rows[0];
  assert.deepEqual([Number(totals.n), Number(totals.events), Number(totals.commits)], [PUSHES, PUSHES, PUSHES]);
  const exit = await secondWorker.stop('SIGTERM');
  assert.equal(exit, 0, `a worker stops cleanly on SIGTERM:\n${secondWorker.output().slice(-2000)}`);
});
