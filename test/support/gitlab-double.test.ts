// The double must answer like GitLab, or client tests against it prove nothing: shapes are
// compared with the documented fixtures key for key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gitlabFixture } from './gitlab.ts';
import { DOUBLE_TOKEN, EMPTY_TEST_REPORT, startGitLabDouble } from './gitlab-double.ts';
import type { GitLabDouble } from './gitlab-double.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
let gitlab: GitLabDouble;

before(async () => {
  gitlab = await startGitLabDouble();
});
after(async () => {
  await gitlab.close();
});

async function api(method: string, path: string, body?: unknown, token: string | null = DOUBLE_TOKEN) {
  const headers: Record<string, string> = {};
  if (token !== null) headers['private-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${gitlab.url}/api/v4${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, any> };
}

const keys = (value: object) => Object.keys(value).sort();

test('a wrong or missing PRIVATE-TOKEN gets 401 and is recorded without the header', async () => {
  const before = gitlab.calls.length;
  const wrong = await api('GET', '/projects/1/pipelines/1', undefined, 'not-the-token');
  const missing = await api('GET', '/projects/1/pipelines/1', undefined, null);
  assert.deepEqual([wrong.status, wrong.json], [401, { message: '401 Unauthorized' }]);
  assert.deepEqual([missing.status, missing.json], [401, { message: '401 Unauthorized' }]);
  const [first, second] = gitlab.calls.slice(before);
  assert.equal(first?.token, 'invalid');
  assert.equal(second?.token, 'missing');
  assert.equal(first?.headers['private-token'], undefined);
  assert.doesNotMatch(JSON.stringify(gitlab.calls), /not-the-token/);
});

test('calls are recorded with method, encoded path, query and parsed body', async () => {
  await api('POST', '/projects/group%2Fproject/statuses/' + SHA + '?x=1', { state: 'pending', name: 'record-me' });
  const call = gitlab.calls.at(-1);
  assert.deepEqual(
    { method: call?.method, path: call?.path, query: call?.query, token: call?.token, body: call?.body },
    {
      method: 'POST', path: `/api/v4/projects/group%2Fproject/statuses/${SHA}`, query: { x: '1' }, token: 'valid',
      body: { state: 'pending', name: 'record-me' },
    },
  );
});

test('a commit status answers in the shape of commit_status.json and refuses a repeated running', async () => {
  const first = await api('POST', `/projects/7/statuses/${SHA}`, { state: 'running', name: 'grade', description: 'Running' });
  assert.equal(first.status, 201);
  assert.deepEqual(keys(first.json), keys(gitlabFixture('commit_status.json')));
  assert.equal(first.json['status'], 'running');
  assert.equal(first.json['description'], 'Running');
  const again = await api('POST', `/projects/7/statuses/${SHA}`, { state: 'running', name: 'grade' });
  assert.equal(again.status, 400);
  assert.match(again.json['message'], /^Cannot transition status via :run from :running/);
  const done = await api('POST', `/projects/7/statuses/${SHA}`, { state: 'success', name: 'grade' });
  assert.equal(done.status, 201);
  assert.deepEqual(gitlab.statuses.filter((s) => s.project === '7').map((s) => s.state), ['running', 'success']);
});

test('a commit status longer than 255 characters or in an unknown state is a 400', async () => {
  const long = await api('POST', `/projects/7/statuses/${SHA}`, { state: 'failed', name: 'x', description: 'd'.repeat(256) });
  assert.deepEqual([long.status, long.json], [400, { message: { description: ['is too long (maximum is 255 characters)'] } }]);
  const bad = await api('POST', `/projects/7/statuses/${SHA}`, { state: 'done', name: 'x' });
  assert.equal(bad.status, 400);
});

test('pipelines: new ids, pending, then finished with a test report', async () => {
  gitlab.setBranchHead(9, 'main', SHA);
  const one = await api('POST', '/projects/9/pipeline', { ref: 'main', variables: [{ key: 'SUBMISSION', value: 's-1' }] });
  const two = await api('POST', '/projects/9/pipeline', { ref: 'main' });
  assert.equal(one.status, 201);
  assert.deepEqual(keys(one.json), keys(gitlabFixture('create_pipeline.json')));
  assert.deepEqual([one.json['status'], one.json['sha'], one.json['ref'], one.json['project_id']], ['pending', SHA, 'main', 9]);
  assert.notEqual(one.json['id'], two.json['id']);
  assert.deepEqual(gitlab.pipelines.get(one.json['id'])?.variables, { SUBMISSION: 's-1' });
  const id = one.json['id'] as number;
  assert.deepEqual((await api('GET', `/projects/9/pipelines/${id}/test_report`)).json, EMPTY_TEST_REPORT);
  gitlab.setPipelineStatus(id, 'running');
  assert.equal((await api('GET', `/projects/9/pipelines/${id}`)).json['status'], 'running');
  const report = gitlabFixture('test_report.json');
  gitlab.finishPipeline(id, 'failed', report);
  const got = await api('GET', `/projects/9/pipelines/${id}`);
  assert.deepEqual(keys(got.json), keys(gitlabFixture('get_pipeline.json')));
  assert.equal(got.json['status'], 'failed');
  assert.equal(got.json['detailed_status']['group'], 'failed');
  assert.deepEqual((await api('GET', `/projects/9/pipelines/${id}/test_report`)).json, report);
});

test('a pipeline for an unknown ref, or one asked under another project, is refused', async () => {
  const unknown = await api('POST', '/projects/9/pipeline', { ref: 'nope' });
  assert.deepEqual([unknown.status, unknown.json], [400, { message: { base: ['Reference not found'] } }]);
  gitlab.setBranchHead(9, 'main', SHA);
  const created = await api('POST', '/projects/9/pipeline', { ref: 'main' });
  assert.equal((await api('GET', `/projects/10/pipelines/${created.json['id']}`)).status, 404);
});

test('branch heads and merge requests answer from what the test set', async () => {
  gitlab.setBranchHead('course/hw1/alice', 'feature/x', SHA);
  const branch = await api('GET', '/projects/course%2Fhw1%2Falice/repository/branches/feature%2Fx');
  assert.deepEqual([branch.status, branch.json['name'], branch.json['commit']['id']], [200, 'feature/x', SHA]);
  assert.equal((await api('GET', '/projects/course%2Fhw1%2Falice/repository/branches/other')).status, 404);
  gitlab.setMergeRequests(5, SHA, [{ iid: 3, sourceBranch: 'solution' }]);
  const list = await api('GET', `/projects/5/repository/commits/${SHA}/merge_requests`);
  assert.deepEqual(list.json.map((mr: any) => [mr.iid, mr.project_id, mr.source_branch, mr.state]), [[3, 5, 'solution', 'opened']]);
  assert.deepEqual((await api('GET', `/projects/5/repository/commits/${'f'.repeat(40)}/merge_requests`)).json, []);
});

test('comments and merge request notes answer in the fixtures\u2019 shapes', async () => {
  const comment = await api('POST', `/projects/5/repository/commits/${SHA}/comments`, { note: 'Well done' });
  assert.deepEqual(keys(comment.json), keys(gitlabFixture('commit_comment.json')));
  assert.deepEqual([comment.json['note'], comment.json['path']], ['Well done', null]);
  const note = await api('POST', '/projects/5/merge_requests/3/notes', { body: 'Score 10/10' });
  assert.deepEqual(keys(note.json), keys(gitlabFixture('merge_request_note.json')));
  assert.deepEqual([note.json['body'], note.json['noteable_iid']], ['Score 10/10', 3]);
  assert.deepEqual(gitlab.notes.slice(-2).map((n) => [n.kind, n.target, n.body]), [
    ['commit', SHA, 'Well done'],
    ['merge_request', '3', 'Score 10/10'],
  ]);
  const tooLong = await api('POST', '/projects/5/merge_requests/3/notes', { body: 'x'.repeat(1_000_001) });
  assert.equal(tooLong.status, 400);
});

test('failNext fails the matching calls the given number of times, with Retry-After', async () => {
  gitlab.failNext('/pipelines/424242', 503, { times: 2, retryAfter: 7 });
  const first = await api('GET', '/projects/1/pipelines/424242');
  const second = await api('GET', '/projects/1/pipelines/424242');
  const third = await api('GET', '/projects/1/pipelines/424242');
  assert.deepEqual([first.status, first.headers.get('retry-after')], [503, '7']);
  assert.equal(second.status, 503);
  assert.equal(third.status, 404, 'after two failures the real answer');
});

test('failNext can echo the request, headers and all, and can drop the connection', async () => {
  gitlab.failNext(/echo-me/, 400, { echoRequest: true });
  const echoed = await api('GET', '/projects/1/repository/branches/echo-me');
  assert.match(echoed.json['message'], new RegExp(`^400 echo: .*"private-token":"${DOUBLE_TOKEN}"`));
  gitlab.failNext('drop-me', 500, { dropConnection: true });
  await assert.rejects(api('GET', '/projects/1/repository/branches/drop-me'), TypeError);
});

test('an unknown route is recorded and answered like GitLab', async () => {
  const answer = await api('GET', '/projects/1/nothing-here');
  assert.deepEqual([answer.status, answer.json], [404, { error: '404 Not Found' }]);
  assert.equal(gitlab.calls.at(-1)?.path, '/api/v4/projects/1/nothing-here');
});
