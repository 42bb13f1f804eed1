// GitLabClient against the GitLab double over real HTTP: what is sent and what comes back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseGitLabTestReport } from '../grading/junit/index.ts';
import { gitlabFixture } from '../../test/support/gitlab.ts';
import { startGitLabDouble } from '../../test/support/gitlab-double.ts';
import type { GitLabDouble } from '../../test/support/gitlab-double.ts';
import { GitLabClient, isPipelineFinished } from './index.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';
let gitlab: GitLabDouble;
let client: GitLabClient;

before(async () => {
  gitlab = await startGitLabDouble();
  client = new GitLabClient({ baseUrl: gitlab.url, token: gitlab.token, userAgent: 'gradeflow-test', sleep: async () => {} });
});
after(async () => {
  await gitlab.close();
});

const lastCall = () => gitlab.calls.at(-1);

test('setCommitStatus posts state, name, description, target_url, ref and pipeline_id', async () => {
  const result = await client.setCommitStatus(11, SHA, {
    state: 'success', name: 'gradeflow/hw1', description: 'Score 10/10', targetUrl: 'https://grades.example/s/1', ref: 'main', pipelineId: 5,
  });
  assert.deepEqual(lastCall()?.body, {
    state: 'success', name: 'gradeflow/hw1', description: 'Score 10/10', target_url: 'https://grades.example/s/1', ref: 'main', pipeline_id: 5,
  });
  assert.equal(lastCall()?.path, `/api/v4/projects/11/statuses/${SHA}`);
  assert.equal(lastCall()?.token, 'valid');
  assert.equal(lastCall()?.headers['user-agent'], 'gradeflow-test');
  assert.ok(result.applied);
  assert.deepEqual({ ...result.status, id: 0 }, {
    id: 0, sha: SHA, name: 'gradeflow/hw1', status: 'success', description: 'Score 10/10', targetUrl: 'https://grades.example/s/1',
  });
});

test('a description is cut to 255 characters and a too long target URL is left out', async () => {
  const description = 'é'.repeat(300);
  const result = await client.setCommitStatus(11, SHA, {
    state: 'failed', name: 'long', description, targetUrl: `https://x.example/${'a'.repeat(300)}`,
  });
  const body = lastCall()?.body as Record<string, unknown>;
  assert.equal([...String(body['description'])].length, 255);
  assert.equal(body['description'], `${'é'.repeat(254)}…`);
  assert.equal('target_url' in body, false);
  assert.ok(result.applied, 'the double refuses over-long fields, so reaching it proves the cut');
});

test('setting a running status twice is reported as not applied instead of failing', async () => {
  const first = await client.setCommitStatus(12, SHA, { state: 'running', name: 'again' });
  const second = await client.setCommitStatus(12, SHA, { state: 'running', name: 'again' });
  assert.equal(first.applied, true);
  assert.deepEqual({ ...second, message: '' }, { applied: false, currentState: 'running', message: '' });
  gitlab.failNext('/projects/12/statuses', 400, { body: { message: 'Cannot transition status via :enqueue from :running' } });
  await assert.rejects(client.setCommitStatus(12, SHA, { state: 'pending', name: 'again' }), { code: 'GITLAB_REJECTED' },
    'a refused transition to another state is still an error');
});

test('a project path is sent as one encoded segment, and so is a branch with a slash', async () => {
  gitlab.setBranchHead('algo/hw1/alice', 'feature/sort', SHA);
  assert.equal(await client.getBranchHead('algo/hw1/alice', 'feature/sort'), SHA);
  assert.equal(lastCall()?.path, '/api/v4/projects/algo%2Fhw1%2Falice/repository/branches/feature%2Fsort');
});

test('postCommitComment and postMergeRequestNote send the text and return GitLab\u2019s answer', async () => {
  const comment = await client.postCommitComment('algo/hw1/alice', SHA, '## Score 7/10');
  assert.equal(lastCall()?.path, `/api/v4/projects/algo%2Fhw1%2Falice/repository/commits/${SHA}/comments`);
  assert.equal(comment.note, '## Score 7/10');
  const note = await client.postMergeRequestNote(21, 4, 'Score 7/10');
  assert.equal(lastCall()?.path, '/api/v4/projects/21/merge_requests/4/notes');
  assert.deepEqual(lastCall()?.body, { body: 'Score 7/10' });
  assert.equal(note.body, 'Score 7/10');
  assert.equal(typeof note.id, 'number');
});

test('a note over GitLab\u2019s 1,000,000 characters is cut with a visible marker', async () => {
  const note = await client.postMergeRequestNote(21, 4, 'y'.repeat(1_000_050));
  assert.equal(note.body.length, 1_000_000);
  assert.match(note.body, /y\n\n…\(cut to fit GitLab’s limit\)$/);
});

test('createPipeline sends variables as key/value pairs; getPipeline and getTestReport follow it', async () => {
  gitlab.setBranchHead(30, 'main', SHA);
  const created = await client.createPipeline(30, { ref: 'main', variables: { GRADEFLOW_SUBMISSION: 'sub-1', HW: 'hw1' } });
  assert.deepEqual(lastCall()?.body, {
    ref: 'main', variables: [{ key: 'GRADEFLOW_SUBMISSION', value: 'sub-1' }, { key: 'HW', value: 'hw1' }],
  });
  assert.deepEqual({ ...created, id: 0, iid: 0 }, {
    id: 0, iid: 0, projectId: 30, sha: SHA, ref: 'main', status: 'pending', webUrl: `${gitlab.url}/30/-/pipelines/${created.id}`,
  });
  assert.equal(isPipelineFinished((await client.getPipeline(30, created.id)).status), false);
  gitlab.finishPipeline(created.id, 'success', gitlabFixture('test_report.json'));
  const finished = await client.getPipeline(30, created.id);
  assert.deepEqual([finished.status, isPipelineFinished(finished.status)], ['success', true]);
  const report = parseGitLabTestReport(await client.getTestReport(30, created.id));
  assert.deepEqual(report.tests.map((t) => [t.name, t.status]), [['Security Reports can create an auto-remediation MR', 'passed']]);
});

test('findMergeRequestsForCommit maps GitLab\u2019s list', async () => {
  gitlab.setMergeRequests(40, SHA, [{ iid: 2, sourceBranch: 'solution', targetBranch: 'main', state: 'opened' }]);
  const found = await client.findMergeRequestsForCommit(40, SHA);
  assert.deepEqual(found.map(({ iid, projectId, state, sourceBranch, targetBranch }) => ({ iid, projectId, state, sourceBranch, targetBranch })), [
    { iid: 2, projectId: 40, state: 'opened', sourceBranch: 'solution', targetBranch: 'main' },
  ]);
  assert.deepEqual(await client.findMergeRequestsForCommit(40, 'f'.repeat(40)), []);
});

test('a base URL with a trailing slash or an /api/v4 suffix reaches the same API', async () => {
  for (const baseUrl of [`${gitlab.url}/`, `${gitlab.url}/api/v4`]) {
    const other = new GitLabClient({ baseUrl, token: gitlab.token });
    gitlab.setBranchHead(50, 'main', SHA);
    assert.equal(await other.getBranchHead(50, 'main'), SHA);
    assert.equal(lastCall()?.path, '/api/v4/projects/50/repository/branches/main');
  }
});

test('invalid arguments are refused before any call', async () => {
  const before = gitlab.calls.length;
  await assert.rejects(async () => client.getPipeline(1, 0), { code: 'GITLAB_INVALID_REQUEST' });
  await assert.rejects(async () => client.getBranchHead('', 'main'), { code: 'GITLAB_INVALID_REQUEST' });
  await assert.rejects(async () => client.getBranchHead(1, '..'), { code: 'GITLAB_INVALID_REQUEST' });
  await assert.rejects(async () => client.postMergeRequestNote(1, 1.5, 'x'), { code: 'GITLAB_INVALID_REQUEST' });
  assert.equal(gitlab.calls.length, before);
});
