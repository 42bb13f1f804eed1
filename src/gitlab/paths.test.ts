import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positiveInt, projectSegment, segment } from './paths.ts';
import { REDACTED, createRedactor } from './redact.ts';

test('project ids: numbers as they are, paths as one encoded segment', () => {
  assert.equal(projectSegment(42), '42');
  assert.equal(projectSegment('42'), '42');
  assert.equal(projectSegment('a/b'), 'a%2Fb');
  assert.equal(projectSegment('algo-2026/hw 1/jöe.s'), 'algo-2026%2Fhw%201%2Fj%C3%B6e.s');
});

test('segments that would change the endpoint are refused without quoting them', () => {
  assert.equal(segment('feature/x?y#z', 'branch'), 'feature%2Fx%3Fy%23z');
  for (const bad of ['', '.', '..']) assert.throws(() => segment(bad, 'branch'), { code: 'GITLAB_INVALID_REQUEST' });
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => projectSegment(bad), { code: 'GITLAB_INVALID_REQUEST' });
  assert.throws(() => positiveInt(2 ** 60, 'pipeline id'), { code: 'GITLAB_INVALID_REQUEST' });
  assert.throws(() => projectSegment('  '), (error: Error) => error.message === 'invalid project id (0 characters)');
});

test('the redactor removes the token, URL-encoded and JSON-escaped forms too', () => {
  const redact = createRedactor('tok/en"+1');
  assert.equal(redact('a tok/en"+1 b'), `a ${REDACTED} b`);
  assert.equal(redact('?private_token=tok%2Fen%22%2B1'), `?private_token=${REDACTED}`);
  assert.equal(redact('{"t":"tok/en\\"+1"}'), `{"t":"${REDACTED}"}`);
  assert.equal(redact('nothing secret'), 'nothing secret');
});
