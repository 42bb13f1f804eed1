import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MAX_NESTING, bodyProblem, headerProblem, parseJsonBody, printable } from './request-guards.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../shared/fixtures/gitlab/${name}`, import.meta.url), 'utf8'));
const nested = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

test("every documented GitLab payload passes the guards", () => {
  for (const name of ['push.json', 'tag_push.json', 'merge_request.json', 'pipeline.json', 'job.json', 'note_commit.json', 'note_merge_request.json']) {
    assert.equal(bodyProblem(fixture(name)), null, name);
  }
});

test('nesting is bounded without recursion: 100k levels are refused, not a stack overflow', () => {
  const problem = bodyProblem({ ref: nested(100_000) });
  assert.equal(problem?.error, 'BODY_TOO_DEEP');
  assert.equal(bodyProblem({ ref: nested(MAX_NESTING - 1) }), null);
  assert.equal(bodyProblem({ ref: nested(MAX_NESTING) })?.error, 'BODY_TOO_DEEP');
});

test('NUL and unpaired surrogates are refused wherever they are, naming the place', () => {
  assert.match(bodyProblem({ commits: [{ title: 'a\u0000' }] })?.message ?? '', /commits\[0\]\.title contains a NUL/);
  assert.match(bodyProblem({ user_name: 'x\ud800' })?.message ?? '', /user_name contains an unpaired/);
  assert.equal(bodyProblem({ user_name: 'Zoë 👩🏽‍💻 \u202e' }), null, 'well-formed free text is kept');
});

test('project paths must be GitLab paths', () => {
  const path = (p: string) => bodyProblem({ project: { path_with_namespace: p } })?.error ?? null;
  assert.equal(path('algo-2026/hw1/jo.doe_2'), null);
  for (const bad of ['algo/hw1/bob\u202e', 'algo/hw1/..', 'algo/./bob', 'algo/hw1/-bob', 'algo//bob', 'algo/hw1/bob🚀', `a/${'b'.repeat(1000)}`]) {
    assert.equal(path(bad), 'INVALID_PROJECT_PATH', bad);
  }
});

test('request heads: charset, encoding, repeated and oversized delivery headers', () => {
  assert.equal(headerProblem(['Content-Type', 'application/json; charset=UTF-8', 'X-Gitlab-Token', 't']), null);
  assert.equal(headerProblem(['Content-Type', 'application/json; charset="latin1"'])?.error, 'UNSUPPORTED_CHARSET');
  assert.equal(headerProblem(['Content-Encoding', 'gzip'])?.status, 415);
  assert.equal(headerProblem(['Content-Encoding', 'identity']), null);
  assert.equal(headerProblem(['X-Gitlab-Token', 'a', 'x-gitlab-token', 'a'])?.error, 'DUPLICATE_HEADER');
  assert.equal(headerProblem(['Idempotency-Key', 'k'.repeat(201)])?.error, 'INVALID_HEADER');
});

test('JSON bodies: BOM dropped, non-UTF-8 and broken JSON refused with where', () => {
  assert.deepEqual(parseJsonBody(Buffer.from('\ufeff{"a":1}')), { a: 1 });
  assert.throws(() => parseJsonBody(Buffer.from([0x7b, 0xff, 0x7d])), /not valid UTF-8/);
  assert.throws(() => parseJsonBody(Buffer.from('{"a":')), (error: Error & { statusCode?: number }) => error.statusCode === 400 && /JSON/.test(error.message));
  assert.throws(() => parseJsonBody(Buffer.alloc(0)), /empty/);
});

test('echoed text is printable ASCII and bounded', () => {
  assert.equal(printable('a\u202eb\u0000'), 'a\\u202eb\\u0000');
  assert.equal(printable('x'.repeat(10), 3), 'xxx…');
});
