// `npm start` on its embedded defaults, as on a fresh machine: the embedded Kafka broker, PGlite
// and the in-memory cache, nothing given but ports and a data directory. A push goes all the
// way to a submission; Ctrl-C (SIGINT) stops everything, the broker included; a second start on
// the same data directory still has the submission and the broker's log.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findFreePorts } from '../../src/kafka/local/ports.ts';
import { postWebhook, pushPayload, shaOf, writeTestCourse } from '../support/gitlab.ts';
import { startGradeflow } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';

const ADMIN = 'smoke-admin-token-0123456789';

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

test('npm start on embedded defaults: push -> submission, clean stop, state kept across restarts', { timeout: 300_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'gradeflow-smoke-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const course = writeTestCourse();
  const [httpPort = 0, kafkaPort = 0] = await findFreePorts(2);
  const env = {
    PORT: String(httpPort),
    KAFKA_EMBEDDED_PORT: String(kafkaPort),
    GRADEFLOW_DATA_DIR: dataDir,
    GRADEFLOW_COURSES_DIR: course.dir,
    TEST_COURSE_SECRET: course.secret,
    GRADEFLOW_ADMIN_TOKEN: ADMIN,
  };
  const url = `http://127.0.0.1:${httpPort}`;
  const list = async () => {
    const response = await fetch(`${url}/api/submissions?course=algo-test`, { headers: { authorization: `Bearer ${ADMIN}` } });
    return ((await response.json()) as { submissions: Array<{ commitSha: string; status: string }> }).submissions;
  };

  const first = startGradeflow(['start'], env);
  t.after(() => first.stop('SIGKILL'));
  await first.waitForOutput('Press Ctrl-C to stop.', 180_000);
  assert.match(first.output(), new RegExp(`kafka +127\\.0\\.0\\.1:${kafkaPort} \\(embedded`));
  assert.match(first.output(), /database +.*pglite/);
  assert.match(first.output(), /cache +memory/);
  assert.doesNotMatch(first.output(), new RegExp(course.secret), 'the banner shows no secret');
  const answer = await postWebhook(url, pushPayload({ path: 'algo-test/hw1/smoke', projectId: 1, sha: shaOf('smoke') }), { token: course.secret, idempotencyKey: 'smoke-1' });
  assert.equal(answer.status, 202);
  const submissions = await waitFor('the submission', async () => {
    const found = await list();
    return found.length === 1 && found;
  });
  assert.deepEqual(submissions.map((s) => [s.commitSha, s.status]), [[shaOf('smoke'), 'recorded']]);
  assert.equal(await first.stop('SIGINT'), 0, first.output().slice(-3000));
  assert.equal(await portAnswers(kafkaPort), false, 'the embedded broker stopped with it');

  const second = startGradeflow(['start'], env);
  t.after(() => second.stop('SIGKILL'));
  await second.waitForOutput('Press Ctrl-C to stop.', 180_000);
  assert.deepEqual((await list()).map((s) => s.commitSha), [shaOf('smoke')], 'PGlite kept the submission');
  const again = await postWebhook(url, pushPayload({ path: 'algo-test/hw1/smoke', projectId: 1, sha: shaOf('smoke') }), { token: course.secret, idempotencyKey: 'smoke-1-new-cache' });
  assert.equal(again.status, 202);
  const second2 = await postWebhook(url, pushPayload({ path: 'algo-test/hw1/smoke-2', projectId: 2, sha: shaOf('smoke-2') }), { token: course.secret, idempotencyKey: 'smoke-2' });
  assert.equal(second2.status, 202);
  await waitFor('the second submission', async () => (await list()).length === 2);
  assert.equal((await list()).length, 2, 'the re-sent commit stayed one submission');
  assert.equal(await second.stop('SIGTERM'), 0, second.output().slice(-3000));
  assert.equal(await portAnswers(kafkaPort), false);
});
