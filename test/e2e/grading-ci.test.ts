// The gitlab-ci executor end to end through the GitLab double: a push triggers a pipeline, the
// pipeline webhooks come back through the gateway, the test report is read from the API, the
// grade is computed and the student is told on the commit.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findFreePorts } from '../../src/kafka/local/ports.ts';
import { startGitLabDouble } from '../support/gitlab-double.ts';
import type { GitLabDouble } from '../support/gitlab-double.ts';
import { gitlabFixture, postWebhook, pushPayload, shaOf } from '../support/gitlab.ts';
import { testBrokers, uniqueName } from '../support/kafka.ts';
import { createTestDatabase } from '../support/postgres.ts';
import type { TestDatabase } from '../support/postgres.ts';
import { startGradeflow } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';
import { tempDir } from '../support/temp-dir.ts';

const SECRET = 'ci-course-secret-0123456789';

function writeCiCourse(): string {
  const dir = tempDir('gradeflow-ci-course-');
  writeFileSync(join(dir, 'ci.yaml'), [
    'slug: ci-course', 'title: CI course', 'gitlab:', '  projectPath: "ci-course/{assignment}/{student}"', `  webhookSecret: "${SECRET}"`,
    'assignments:', '  - slug: lab', '    title: Lab', `    deadline: ${new Date(Date.now() + 86_400_000).toISOString().replace('Z', '+00:00')}`,
    '    check:', '      executor: gitlab-ci', '      variables: { SUITE: lab }', '      timeoutSeconds: 600',
    '    scoring:', '      maxScore: 10', '      weights: {}', '      default: 1', '',
  ].join('\n'));
  return dir;
}

function testReport(passed: number, failed: number) {
  const cases = [
    ...Array.from({ length: passed }, (_, i) => ({ status: 'success', name: `passes ${i}`, classname: 'Lab', execution_time: 0.01, system_output: null, stack_trace: null })),
    ...Array.from({ length: failed }, (_, i) => ({ status: 'failed', name: `fails ${i}`, classname: 'Lab', execution_time: 0.01, system_output: 'expected 1, got 2', stack_trace: null })),
  ];
  return { total_time: 0.1, total_count: cases.length, success_count: passed, failed_count: failed, skipped_count: 0, error_count: 0,
    test_suites: [{ name: 'lab', total_time: 0.1, total_count: cases.length, success_count: passed, failed_count: failed, skipped_count: 0, error_count: 0, suite_error: null, test_cases: cases }] };
}

function pipelineHook(projectId: number, path: string, pipelineId: number, sha: string, status: string): Record<string, any> {
  const body = gitlabFixture('pipeline.json') as Record<string, any>;
  body.object_attributes = { ...body.object_attributes, id: pipelineId, iid: pipelineId, sha, status, ref: 'main', finished_at: status === 'running' ? null : '2026-11-27 10:00:00 UTC' };
  body.project = { ...body.project, id: projectId, path_with_namespace: path };
  return body;
}

describe('grading end to end with the gitlab-ci executor', { timeout: 300_000 }, () => {
  let gitlab: GitLabDouble;
  let db: TestDatabase;
  let app: RunningProcess;
  let url: string;

  before(async () => {
    gitlab = await startGitLabDouble();
    db = await createTestDatabase();
    const [port] = await findFreePorts(1);
    url = `http://127.0.0.1:${port}`;
    app = startGradeflow(['start'], {
      KAFKA_BROKERS: testBrokers().join(','), KAFKA_TOPIC_PREFIX: `${uniqueName('ci')}.`, KAFKA_REPLICATION_FACTOR: '1',
      DATABASE_URL: db.url, PORT: String(port), GRADEFLOW_COURSES_DIR: writeCiCourse(), GRADEFLOW_DATA_DIR: tempDir('gradeflow-ci-data-'),
      GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlab.token, LOG_LEVEL: 'warn',
    });
    await app.waitForOutput('Press Ctrl-C to stop.');
  });

  after(async () => {
    const exit = await app?.stop('SIGTERM');
    await db?.drop();
    await gitlab?.close();
    assert.equal(exit, 0, app?.output().slice(-3000));
  });

  test('push -> pipeline triggered -> webhooks through the gateway -> test report -> grade -> status and comment', async () => {
    const path = 'ci-course/lab/carla';
    const sha = shaOf(`ci-${randomUUID()}`);
    gitlab.setBranchHead(4242, 'main', sha);
    const answer = await postWebhook(url, pushPayload({ path, projectId: 4242, sha }), { token: SECRET, idempotencyKey: randomUUID() });
    assert.equal(answer.status, 202);
    const pipeline = await waitFor('a pipeline triggered', () => [...gitlab.pipelines.values()].find((p) => p.variables.GRADEFLOW_COMMIT_SHA === sha));
    assert.equal(pipeline.project, '4242');
    assert.equal(pipeline.ref, 'main');
    assert.equal(pipeline.variables.SUITE, 'lab');
    assert.equal(pipeline.variables.GRADEFLOW_STUDENT, 'carla');
    const running = await postWebhook(url, pipelineHook(4242, path, pipeline.id, sha, 'running'), { token: SECRET, event: 'Pipeline Hook', idempotencyKey: randomUUID() });
    assert.equal(running.status, 202);
    await waitFor('a running status', () => gitlab.statuses.some((s) => s.sha === sha && s.state === 'running'));
    gitlab.finishPipeline(pipeline.id, 'failed', testReport(7, 3));
    const hook = pipelineHook(4242, path, pipeline.id, sha, 'failed');
    const key = randomUUID();
    await postWebhook(url, hook, { token: SECRET, event: 'Pipeline Hook', idempotencyKey: key });
    await postWebhook(url, hook, { token: SECRET, event: 'Pipeline Hook', idempotencyKey: randomUUID() });
    const final = await waitFor('the grade on the commit', () => gitlab.statuses.find((s) => s.sha === sha && (s.state === 'failed' || s.state === 'success')));
    assert.match(final.description ?? '', /Score 7\/10 \(7\/10 tests\)/);
    await waitFor('one comment', () => gitlab.notes.filter((n) => n.target === sha).length === 1);
    assert.equal(gitlab.calls.filter((c) => c.method === 'POST' && c.path.includes('/pipeline') && c.path.includes('4242')).length, 1, 'one pipeline');
    assert.equal(gitlab.calls.filter((c) => c.path.includes(`/pipelines/${pipeline.id}/test_report`)).length >= 1, true);
    assert.equal(gitlab.notes.filter((n) => n.target === sha).length, 1, 'the second webhook delivery changed nothing');
  });
});
