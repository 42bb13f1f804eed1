// Pure parts of ci-trackers: GitLab's timestamps, what each pipeline status means, reading a
// pipeline webhook and the test.result a closed check becomes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TestResultV1 } from '../events/schemas.ts';
import { gitlabFixture } from '../../test/support/gitlab.ts';
import type { CiCheckRow } from './ci-queries.ts';
import { parseGitLabTime, pipelineOutcome, readPipelineHook, testResultPayload } from './ci-tracker.ts';

test('GitLab timestamps in every format of the fixtures parse to the same instant', () => {
  const cases: Array<[string, string]> = [
    ['2016-08-12 15:23:28 UTC', '2016-08-12T15:23:28.000Z'],
    ['2021-02-23T02:41:37.886Z', '2021-02-23T02:41:37.886Z'],
    ['2021-02-23T02:41:37Z', '2021-02-23T02:41:37.000Z'],
    ['2011-12-12T14:27:31+02:00', '2011-12-12T12:27:31.000Z'],
    ['2016-08-12 17:23:28 +0200', '2016-08-12T15:23:28.000Z'],
    ['2016-08-12 15:23:28', '2016-08-12T15:23:28.000Z'],
    [' 2016-08-12 15:23:28 UTC ', '2016-08-12T15:23:28.000Z'],
  ];
  for (const [text, iso] of cases) assert.equal(parseGitLabTime(text)?.toISOString(), iso, text);
});

test('what is not a GitLab timestamp gives null, never a throw', () => {
  for (const value of [null, undefined, 42, '', 'yesterday', '2015-04-08T21: 00:25-07:00', '2016-13-45 15:23:28 UTC', '2016-08-12']) {
    assert.equal(parseGitLabTime(value), null, String(value));
  }
});

test('pipeline statuses map to waiting, running or a verdict; failed tests are still graded', () => {
  for (const status of ['created', 'waiting_for_resource', 'preparing', 'pending', 'scheduled', 'manual']) {
    assert.deepEqual(pipelineOutcome(status), { kind: 'waiting' }, status);
  }
  assert.deepEqual(pipelineOutcome('running'), { kind: 'running' });
  assert.deepEqual(pipelineOutcome('success'), { kind: 'finished', verdict: 'completed', message: '' });
  assert.deepEqual(pipelineOutcome('failed'), { kind: 'finished', verdict: 'completed', message: '' });
  for (const status of ['canceled', 'skipped']) {
    const outcome = pipelineOutcome(status);
    assert.equal(outcome.kind, 'finished', status);
    assert.equal(outcome.kind === 'finished' && outcome.verdict, 'system-error', status);
    assert.match(outcome.kind === 'finished' ? outcome.message : '', new RegExp(status === 'canceled' ? 'canceled' : 'skipped'));
  }
  assert.deepEqual(pipelineOutcome('something-new'), { kind: 'unknown' });
});

test('the documented pipeline webhook is read: ids, status and its Rails-style times', () => {
  const hook = readPipelineHook(gitlabFixture('pipeline.json'));
  assert.deepEqual(hook, {
    projectId: 1, pipelineId: 31, status: 'success',
    createdAt: new Date('2016-08-12T15:23:28Z'), finishedAt: new Date('2016-08-12T15:26:29Z'),
  });
});

test('the check a pipeline was created for is read from its variables; other or odd variables name none', () => {
  const body = gitlabFixture('pipeline.json') as Record<string, any>;
  body.object_attributes.variables = [{ key: 'SUITE', value: 'hidden' }, { key: 'GRADEFLOW_CHECK_ID', value: 'c-1' }];
  assert.equal(readPipelineHook(body)?.checkId, 'c-1');
  for (const variables of [[{ key: 'GRADEFLOW_CHECK_ID', value: '' }], [{ key: 'GRADEFLOW_CHECK_ID', value: 7 }], 'not a list', [{ value: 'x' }]]) {
    body.object_attributes.variables = variables;
    const hook = readPipelineHook(body);
    assert.equal(hook?.pipelineId, 31, JSON.stringify(variables));
    assert.equal(hook?.checkId, undefined, JSON.stringify(variables));
  }
});

test('a pipeline webhook without times is read; the times are then unknown', () => {
  assert.deepEqual(readPipelineHook({ object_attributes: { id: 5, status: 'running' }, project: { id: 3 } }), {
    projectId: 3, pipelineId: 5, status: 'running', createdAt: null, finishedAt: null,
  });
});

test('a pipeline webhook without a pipeline id or project id is not read', () => {
  const noId = gitlabFixture('pipeline.json') as Record<string, any>;
  delete noId.object_attributes.id;
  assert.equal(readPipelineHook(noId), null);
  const noProject = gitlabFixture('pipeline.json');
  delete noProject.project;
  assert.equal(readPipelineHook(noProject), null);
});

const ROW: CiCheckRow = {
  checkId: '6f1c1c1e-0000-4000-8000-000000000001', submissionId: '6f1c1c1e-0000-4000-8000-000000000002', attempt: 1,
  priority: 'normal', status: 'running', gitlabProject: '21', pipelineId: 287, verdict: null, message: null,
  queuedAt: new Date('2026-01-01T10:00:00Z'), startedAt: null, finishedAt: null, course: 'algo', assignment: 'hw1',
  student: 'ann', projectId: 7, projectPath: 'algo/hw1/ann', branch: 'main', commitSha: 'a'.repeat(40),
};
const CLOSING = { status: 'finished', verdict: 'completed', message: '', startedAt: new Date('2026-01-01T10:00:00Z'), finishedAt: new Date('2026-01-01T10:01:00Z') } as const;

test('a closed check becomes a valid test.result naming its pipeline, or no source without one', () => {
  const withPipeline = TestResultV1.parse(testResultPayload(ROW, CLOSING));
  assert.deepEqual(withPipeline.source, { kind: 'gitlab', projectId: 21, pipelineId: 287 });
  assert.equal(withPipeline.executor, 'gitlab-ci');
  assert.equal(withPipeline.finishedAt, '2026-01-01T10:01:00.000Z');
  const byPath = TestResultV1.parse(testResultPayload({ ...ROW, gitlabProject: 'grading/hw1' }, CLOSING));
  assert.deepEqual(byPath.source, { kind: 'gitlab', projectId: 'grading/hw1', pipelineId: 287 });
  const none = TestResultV1.parse(testResultPayload({ ...ROW, pipelineId: null }, { ...CLOSING, status: 'error', verdict: 'system-error' }));
  assert.deepEqual(none.source, { kind: 'none' });
});
