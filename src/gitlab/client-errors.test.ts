// Retries, permanent errors and the token's secrecy, against the GitLab double over real HTTP.
// Sleeps are injected and recorded, so no test waits for a backoff.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import { AppError } from '../errors/index.ts';
import { createLogger } from '../logging/index.ts';
import { startGitLabDouble } from '../../test/support/gitlab-double.ts';
import type { GitLabDouble } from '../../test/support/gitlab-double.ts';
import { GitLabClient } from './index.ts';
import type { GitLabClientOptions } from './index.ts';

const SHA = 'abcdefabcdefabcdefabcdefabcdefabcdefabcd';
let gitlab: GitLabDouble;

before(async () => {
  gitlab = await startGitLabDouble();
  gitlab.setBranchHead(1, 'main', SHA);
});
after(async () => {
  await gitlab.close();
});

function setup(overrides: Partial<GitLabClientOptions> = {}) {
  const sleeps: number[] = [];
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const client = new GitLabClient({
    baseUrl: gitlab.url, token: gitlab.token, log: createLogger('debug', 'test', stream),
    sleep: async (ms) => void sleeps.push(ms), ...overrides,
  });
  return { client, sleeps, logs: () => lines.join('') };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  assert.ok(error instanceof AppError, `expected an AppError, got ${inspect(error)}`);
  return error;
}

/** Everything an error could show: message, details, cause, stack, and inspect's full dump. */
function everything(error: unknown): string {
  return [inspect(error, { depth: null, showHidden: true }), JSON.stringify(error), JSON.stringify((error as AppError).details)].join('\n');
}

test('a 503 is retried and the next answer is returned', async () => {
  const { client, sleeps } = setup();
  gitlab.failNext('/repository/branches/main', 503);
  const before = gitlab.calls.length;
  assert.equal(await client.getBranchHead(1, 'main'), SHA);
  assert.equal(gitlab.calls.length - before, 2);
  assert.equal(sleeps.length, 1);
  assert.ok(sleeps[0]! >= 250 && sleeps[0]! <= 500, `first backoff within 0.25-0.5 s, got ${sleeps[0]}`);
});

test('Retry-After in seconds is honoured, and capped at 60 s', async () => {
  const { client, sleeps } = setup();
  gitlab.failNext('/repository/branches/main', 429, { retryAfter: 7 });
  gitlab.failNext('/repository/branches/main', 503, { retryAfter: 3600 });
  assert.equal(await client.getBranchHead(1, 'main'), SHA);
  assert.deepEqual(sleeps, [7000, 60_000]);
});

test('Retry-After as an HTTP date is honoured', async () => {
  const { client, sleeps } = setup();
  gitlab.failNext('/repository/branches/main', 503, { retryAfter: new Date(Date.now() + 20_000).toUTCString() });
  assert.equal(await client.getBranchHead(1, 'main'), SHA);
  // The header has whole seconds, so the wait is a little under 20 s, never the 0.5 s backoff.
  assert.ok(sleeps[0]! > 17_000 && sleeps[0]! <= 20_000, `got ${sleeps[0]}`);
});

test('backoff grows exponentially and exhausted retries are GITLAB_UNAVAILABLE, retryable', async () => {
  const { client, sleeps } = setup({ maxRetries: 3 });
  gitlab.failNext('/repository/branches/main', 502, { times: 4, body: { message: 'bad gateway' } });
  const before = gitlab.calls.length;
  const error = await rejection(client.getBranchHead(1, 'main'));
  assert.equal(gitlab.calls.length - before, 4, 'one attempt and three retries');
  assert.equal(error.code, 'GITLAB_UNAVAILABLE');
  assert.equal(error.retryable, true);
  assert.match(error.message, /after 4 attempts: HTTP 502 bad gateway/);
  assert.equal(sleeps.length, 3);
  sleeps.forEach((ms, i) => assert.ok(ms >= 250 * 2 ** i && ms <= 500 * 2 ** i, `retry ${i + 1} waited ${ms}`));
});

test('a dropped connection and a timeout are retried like a 5xx', async () => {
  const { client, sleeps } = setup({ timeoutMs: 200 });
  gitlab.failNext('/repository/branches/main', 500, { dropConnection: true });
  gitlab.failNext('/repository/branches/main', 500, { hang: true });
  assert.equal(await client.getBranchHead(1, 'main'), SHA);
  assert.equal(sleeps.length, 2);
  const { client: impatient } = setup({ timeoutMs: 200, maxRetries: 0 });
  gitlab.failNext('/repository/branches/main', 500, { hang: true });
  const error = await rejection(impatient.getBranchHead(1, 'main'));
  assert.equal(error.code, 'GITLAB_UNAVAILABLE');
  assert.match(error.message, /timed out/);
});

test('404 is permanent: GITLAB_REJECTED with the status and GitLab\u2019s message, no retry', async () => {
  const { client, sleeps } = setup();
  const before = gitlab.calls.length;
  const error = await rejection(client.getPipeline(1, 999_999));
  assert.equal(gitlab.calls.length - before, 1);
  assert.deepEqual(sleeps, []);
  assert.equal(error.code, 'GITLAB_REJECTED');
  assert.equal(error.retryable, false);
  assert.equal(error.details['status'], 404);
  assert.equal(error.details['gitlabMessage'], '404 Not found');
  assert.equal(error.message, 'GitLab rejected getPipeline (GET /projects/1/pipelines/999999): HTTP 404 404 Not found');
});

test('a wrong token is a permanent 401', async () => {
  const { client } = setup({ token: 'test-wrong-token-000000' });
  const error = await rejection(client.getBranchHead(1, 'main'));
  assert.equal(gitlab.calls.at(-1)?.token, 'invalid');
  assert.deepEqual([error.code, error.retryable, error.details['status']], ['GITLAB_REJECTED', false, 401]);
  assert.match(error.message, /401 Unauthorized/);
});

test('validation errors from GitLab are shown in the message', async () => {
  const { client } = setup();
  const error = await rejection(client.createPipeline(1, { ref: 'no-such-branch' }));
  assert.equal(error.details['status'], 400);
  assert.match(error.message, /HTTP 400 \{"base":\["Reference not found"\]\}$/);
});

test('the token never reaches an error or a log line, even when GitLab echoes the request', async () => {
  const { client, logs } = setup({ maxRetries: 1 });
  gitlab.failNext('/repository/branches/main', 400, { echoRequest: true });
  const echoed = await rejection(client.getBranchHead(1, 'main'));
  assert.match(echoed.message, /\[redacted\]/, 'the echoed header is in the message, redacted');
  gitlab.failNext('/repository/branches/main', 503, { echoRequest: true, times: 2 });
  const exhausted = await rejection(client.getBranchHead(1, 'main'));
  assert.equal(exhausted.code, 'GITLAB_UNAVAILABLE');
  // A caller that passes the token by mistake (here as a branch) gets it back redacted.
  const misused = await rejection(client.getBranchHead(1, gitlab.token));
  assert.match(misused.message, /branches\/\[redacted\]/);
  for (const error of [echoed, exhausted, misused]) assert.ok(!everything(error).includes(gitlab.token), everything(error));
  assert.match(logs(), /GitLab request failed, retrying/, 'the logs were captured');
  assert.ok(!logs().includes(gitlab.token), logs());
  assert.ok(!inspect(client, { depth: null, showHidden: true }).includes(gitlab.token));
});

test('an unreachable GitLab: a path carrying the token is redacted in the error and the logs', async () => {
  // A port that was just free and is closed again: fetch fails to connect.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const { client, logs } = setup({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 });
  const error = await rejection(client.getBranchHead(gitlab.token, 'main'));
  assert.equal(error.code, 'GITLAB_UNAVAILABLE');
  assert.match(error.message, /ECONNREFUSED/);
  assert.ok(!everything(error).includes(gitlab.token));
  assert.ok(!logs().includes(gitlab.token));
});

test('a GITLAB_URL with credentials, a query or another scheme is refused without quoting it', () => {
  const token = gitlab.token;
  for (const baseUrl of [`http://oauth2:${token}@127.0.0.1`, `http://127.0.0.1/?private_token=${token}`, `ftp://${token}.example`, 'not a url']) {
    assert.throws(() => new GitLabClient({ baseUrl, token }), (error: unknown) => {
      assert.ok(error instanceof AppError && error.code === 'GITLAB_CONFIG', inspect(error));
      assert.ok(!everything(error).includes(token), error.message);
      return true;
    });
  }
  assert.throws(() => new GitLabClient({ baseUrl: gitlab.url, token: 'two words' }), { code: 'GITLAB_CONFIG' });
  assert.throws(() => new GitLabClient({ baseUrl: gitlab.url, token: '' }), { code: 'GITLAB_CONFIG' });
});

test('a redirect is not followed, so the token is not sent elsewhere', async () => {
  const { client } = setup();
  gitlab.failNext('/repository/branches/main', 301, { body: {}, headers: { location: `${gitlab.url}/elsewhere` } });
  const before = gitlab.calls.length;
  const error = await rejection(client.getBranchHead(1, 'main'));
  assert.equal(gitlab.calls.length - before, 1, 'the Location was not visited');
  assert.deepEqual([error.code, error.details['status']], ['GITLAB_REJECTED', 301]);
  assert.match(error.message, /HTTP 301 redirected to http:\/\/127\.0\.0\.1:\d+\/elsewhere; check GITLAB_URL$/);
});
