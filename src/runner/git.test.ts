// fetchCommit against real repositories and a local HTTP server standing in for GitLab.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '../errors/index.ts';
import { fetchCommit } from './git.ts';
import { createFixture } from './test-support.ts';
import type { Fixture } from './test-support.ts';

const TOKEN = 'test-VERY-secret-0987654321';
const OPTIONS = { timeoutMs: 30_000 };
let fx: Fixture;
let scratch: string;

before(async () => {
  fx = await createFixture({});
  scratch = await mkdtemp(path.join(tmpdir(), 'gradeflow-git-test-'));
});
after(async () => {
  await fx.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

async function emptyDir(): Promise<string> {
  return mkdtemp(path.join(scratch, 'clone-'));
}

function assertNoToken(error: unknown): true {
  assert.ok(error instanceof AppError);
  assert.equal(error.code, 'CHECK_INFRA');
  assert.equal(error.retryable, true);
  const everything = `${error.message} ${error.stack} ${JSON.stringify(error.details)} ${String(error.cause)}`;
  for (const form of [TOKEN, Buffer.from(`oauth2:${TOKEN}`).toString('base64')]) {
    assert.equal(everything.includes(form), false, 'token leaked into the error');
  }
  return true;
}

test('fetches exactly the requested commit, not the branch tip', async () => {
  const first = await fx.commit({ 'a.txt': 'first' });
  await fx.commit({ 'a.txt': 'second' });
  const dir = await emptyDir();
  await fetchCommit(dir, first.url, first.sha, OPTIONS);
  assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'first');
  assert.equal(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim(), first.sha);
});

test('the checkout is a working repository without git init\'s templates or a maintenance run', async () => {
  const { url, sha } = await fx.commit({ 'a.txt': 'one' });
  const dir = await emptyDir();
  await fetchCommit(dir, url, sha, OPTIONS);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } }).trim();
  // A student's check may read its own history: the repository must be whole.
  assert.equal(git('log', '-1', '--format=%H'), sha);
  assert.equal(git('status', '--porcelain'), '');
  assert.equal(git('fsck', '--no-progress'), '');
  // Every file here is copied to the sandbox uid and deleted again, once per check.
  const entries = await readdir(path.join(dir, '.git'));
  for (const template of ['hooks', 'description', 'info']) assert.ok(!entries.includes(template), `.git/${template}`);
  assert.equal(git('config', 'maintenance.auto'), 'false');
  assert.ok(!entries.includes('logs'), 'no reflogs');
});

test('falls back to a full fetch when the server refuses a bare sha (protocol v0)', async () => {
  const old = await fx.commit({ 'a.txt': 'old' });
  await fx.commit({ 'a.txt': 'tip' });
  const v0 = { ...OPTIONS, extraConfig: { 'protocol.version': '0' } };
  // Precondition: with v0 the shallow fetch by sha is really refused.
  const probe = await emptyDir();
  execFileSync('git', ['init', '-q'], { cwd: probe });
  assert.throws(() => execFileSync('git', ['-c', 'protocol.version=0', 'fetch', '-q', '--depth', '1', old.url, old.sha], { cwd: probe, stdio: 'pipe' }));
  const dir = await emptyDir();
  await fetchCommit(dir, old.url, old.sha, v0);
  assert.equal(await readFile(path.join(dir, 'a.txt'), 'utf8'), 'old');
});

test('an unknown commit is CHECK_INFRA', async () => {
  const { url } = await fx.commit({ 'a.txt': 'x' });
  await assert.rejects(fetchCommit(await emptyDir(), url, 'f'.repeat(40), OPTIONS), { code: 'CHECK_INFRA', retryable: true });
});

test('malformed shas and option-like URLs are refused before git runs', async () => {
  await assert.rejects(fetchCommit(await emptyDir(), 'file:///x', '--upload-pack=evil', OPTIONS), { code: 'CHECK_INVALID_JOB' });
  await assert.rejects(fetchCommit(await emptyDir(), '--upload-pack=touch /tmp/x', 'a'.repeat(40), OPTIONS), { code: 'CHECK_INVALID_JOB' });
  await assert.rejects(fetchCommit(await emptyDir(), 'ext::sh -c touch% /tmp/pwned', 'a'.repeat(40), OPTIONS), { code: 'CHECK_INFRA' });
});

test('a failing https fetch with a token: CHECK_INFRA, token nowhere in the error', async () => {
  // Port 1 on loopback: connection refused, fast and offline.
  const url = 'https://127.0.0.1:1/group/student.git';
  await assert.rejects(fetchCommit(await emptyDir(), url, 'a'.repeat(40), { ...OPTIONS, token: TOKEN }), assertNoToken);
});

test('the token is sent as an Authorization header, not in the URL or argv', async () => {
  const seen: { url: string; auth: string | undefined }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    // What GitLab answers for a token without access to the project.
    res.writeHead(401, { 'www-authenticate': 'Basic realm="GitLab"' });
    res.end('HTTP Basic: Access denied');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/group/student.git`;
    await assert.rejects(fetchCommit(await emptyDir(), url, 'a'.repeat(40), { ...OPTIONS, token: TOKEN }), assertNoToken);
    assert.ok(seen.length > 0);
    const expected = `Basic ${Buffer.from(`oauth2:${TOKEN}`).toString('base64')}`;
    assert.ok(seen.every((r) => r.auth === expected && !r.url.includes(TOKEN)));
  } finally {
    server.close();
  }
});

test('a server that never answers is cut off by the git timeout', async () => {
  const server = createServer(() => { /* never responds */ });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/group/student.git`;
    const started = performance.now();
    await assert.rejects(fetchCommit(await emptyDir(), url, 'a'.repeat(40), { timeoutMs: 1000 }), /timed out after 1000 ms/);
    assert.ok(performance.now() - started < 1900, 'no second attempt after a timeout');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
