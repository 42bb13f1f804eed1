// GitLabReadApi against the GitLab double over real HTTP: pagination, push events, absent
// things as null, retries, and the token kept out of errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGitLabDouble } from '../../test/support/gitlab-double.ts';
import type { GitLabDouble } from '../../test/support/gitlab-double.ts';
import { GitLabReadApi, nextPagePath } from './reconcile-api.ts';

const SHA = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
let gitlab: GitLabDouble;
let api: GitLabReadApi;

before(async () => {
  gitlab = await startGitLabDouble();
  api = new GitLabReadApi({ baseUrl: gitlab.url, token: gitlab.token, maxRetries: 2, sleep: async () => {} });
});
after(async () => {
  await gitlab.close();
});

const callsTo = (fragment: string) => gitlab.calls.filter((call) => call.path.includes(fragment));

test('listGroupProjects follows x-next-page through every page, subgroups included', async () => {
  const projects = Array.from({ length: 230 }, (_, i) => ({ id: i + 1, path: `paged/hw${i % 2}/s${i}` }));
  gitlab.setProjects([...projects, { id: 999, path: 'elsewhere/hw1/x' }]);
  const listed = await api.listGroupProjects('paged');
  assert.deepEqual(listed.map((p) => p.id), projects.map((p) => p.id));
  const calls = callsTo('/groups/paged/projects');
  assert.deepEqual(calls.map((c) => c.query['page'] ?? '1'), ['1', '2', '3']);
  assert.ok(calls.every((c) => c.query['include_subgroups'] === 'true' && c.query['per_page'] === '100' && c.token === 'valid'));
  assert.deepEqual(listed[0], {
    id: 1, path: 'paged/hw0/s0', defaultBranch: 'main', webUrl: `${gitlab.url}/paged/hw0/s0`, httpUrl: `${gitlab.url}/paged/hw0/s0.git`,
  });
});

test('a group path with a slash is sent as one segment; an unknown group is an error', async () => {
  gitlab.setProjects([{ id: 5, path: 'faculty/algo/hw1/ann' }]);
  assert.deepEqual((await api.listGroupProjects('faculty/algo')).map((p) => p.path), ['faculty/algo/hw1/ann']);
  assert.equal(gitlab.calls.at(-1)?.path, '/api/v4/groups/faculty%2Falgo/projects');
  await assert.rejects(api.listGroupProjects('nope'), { code: 'GITLAB_REJECTED' });
});

test('nextPagePath: x-next-page, then a Link on our own API only, else the end', () => {
  const base = 'https://gitlab.example/api/v4';
  const current = '/groups/g/projects?per_page=100&page=1';
  assert.equal(nextPagePath(new Headers({ 'x-next-page': '2' }), current, base), '/groups/g/projects?per_page=100&page=2');
  assert.equal(nextPagePath(new Headers({ 'x-next-page': '' }), current, base), null);
  const link = (url: string) => new Headers({ link: `<${base}/groups/g/projects?page=1>; rel="first", <${url}>; rel="next"` });
  assert.equal(nextPagePath(link(`${base}/groups/g/projects?cursor=abc`), current, base), '/groups/g/projects?cursor=abc');
  assert.equal(nextPagePath(link('https://evil.example/api/v4/groups/g/projects?cursor=abc'), current, base), null,
    'a next link to another host would carry the token there');
  assert.equal(nextPagePath(new Headers(), current, base), null);
});

test('getProject and getBranchHead answer null for what GitLab does not have', async () => {
  gitlab.setProjects([{ id: 7, path: 'algo/hw1/bob', defaultBranch: null }]);
  assert.equal((await api.getProject(7))?.defaultBranch, null);
  assert.equal(await api.getProject(8), null);
  gitlab.setBranchHead(7, 'main', SHA);
  assert.equal(await api.getBranchHead(7, 'main'), SHA);
  assert.equal(await api.getBranchHead(7, 'solution'), null);
  gitlab.failNext('/projects/7/repository/branches', 403);
  await assert.rejects(api.getBranchHead(7, 'main'), { code: 'GITLAB_REJECTED' }, 'only a 404 means "absent"');
});

test('findPushEvent takes the newest push of the head onto the branch, skipping other refs and commits', async () => {
  gitlab.addPushEvent(11, { ref: 'main', commitTo: SHA, commitFrom: OTHER, createdAt: '2026-05-01T10:00:00.000Z' });
  gitlab.addPushEvent(11, { ref: 'main', commitTo: OTHER, createdAt: '2026-05-01T11:00:00.000Z' });
  gitlab.addPushEvent(11, { ref: 'main', commitTo: SHA, commitFrom: OTHER, createdAt: '2026-05-01T12:00:00.000Z', author: 'ann' });
  gitlab.addPushEvent(11, { ref: 'dev', commitTo: SHA, createdAt: '2026-05-01T13:00:00.000Z' });
  gitlab.addPushEvent(11, { ref: 'main', refType: 'tag', commitTo: SHA, createdAt: '2026-05-01T14:00:00.000Z' });
  const found = await api.findPushEvent(11, 'main', SHA);
  assert.deepEqual(found, {
    createdAt: new Date('2026-05-01T12:00:00.000Z'), commitFrom: OTHER, commitCount: 1, author: { id: 7, username: 'ann', name: 'Student ann' },
  });
  assert.deepEqual(gitlab.calls.at(-1)?.query, { action: 'pushed', sort: 'desc', per_page: '100' });
  assert.equal(await api.findPushEvent(11, 'main', 'c'.repeat(40)), null);
});

test('findPushEvent reads further pages, up to its page limit', async () => {
  gitlab.addPushEvent(12, { ref: 'main', commitTo: SHA, createdAt: '2026-05-01T09:00:00.000Z' });
  for (let i = 0; i < 150; i += 1) gitlab.addPushEvent(12, { ref: 'other', commitTo: OTHER, createdAt: '2026-05-01T10:00:00.000Z' });
  assert.deepEqual((await api.findPushEvent(12, 'main', SHA))?.createdAt, new Date('2026-05-01T09:00:00.000Z'));
  assert.equal(await api.findPushEvent(12, 'main', SHA, 1), null);
});

test('429 and 5xx are retried; after the last retry the error says GITLAB_UNAVAILABLE', async () => {
  gitlab.setProjects([{ id: 20, path: 'retry/hw1/ann' }]);
  gitlab.failNext('/groups/retry/projects', 503);
  gitlab.failNext('/groups/retry/projects', 429, { retryAfter: 1 });
  assert.equal((await api.listGroupProjects('retry')).length, 1);
  gitlab.failNext('/projects/20/events', 502, { times: 3 });
  await assert.rejects(api.findPushEvent(20, 'main', SHA), { code: 'GITLAB_UNAVAILABLE', retryable: true });
});

test('the token never appears in an error, even when GitLab echoes the request', async () => {
  gitlab.failNext('/groups/echo/projects', 400, { echoRequest: true });
  const error = await api.listGroupProjects('echo').then(() => null, (e: unknown) => e as Error);
  assert.ok(error !== null && error.message.includes('echo'), 'the echoed request is in the message');
  assert.equal(JSON.stringify({ message: error.message, details: (error as { details?: unknown }).details }).includes(gitlab.token), false);
  const wrong = new GitLabReadApi({ baseUrl: gitlab.url, token: 'wrong-token-0123456789', sleep: async () => {} });
  await assert.rejects(wrong.getProject(20), { code: 'GITLAB_REJECTED' });
});
