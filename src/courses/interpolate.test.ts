import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolate, redact } from './interpolate.ts';

test('substitutes ${VAR} and ${VAR:-default}', () => {
  const env = { A: 'alpha', EMPTY: '' };
  assert.deepEqual(interpolate('x-${A}-${B:-beta}', env), { value: 'x-alpha-beta', unset: [], substituted: ['alpha'], errors: [] });
  assert.equal(interpolate('${EMPTY:-fallback}', env).value, 'fallback');
  assert.equal(interpolate('${B:-}', env).value, '');
});

test('unset or empty variable without default makes the value undefined and is named', () => {
  assert.deepEqual(interpolate('${MISSING}/${EMPTY}', { EMPTY: '' }),
    { value: undefined, unset: ['MISSING', 'EMPTY'], substituted: [], errors: [] });
});

test('$$ escapes a dollar; malformed references are errors', () => {
  assert.equal(interpolate('cost $$5 and $${A}', { A: 'no' }).value, 'cost $5 and ${A}');
  assert.equal(interpolate('echo $HOME', {}).value, 'echo $HOME');
  assert.equal(interpolate('${1BAD}', {}).errors.length, 1);
  assert.equal(interpolate('${OPEN', {}).errors.length, 1);
});

test('redact hides long values only', () => {
  assert.equal(redact('token abcdef123 leaked, abcdef123 again', ['abcdef123', '60']), 'token *** leaked, *** again');
  assert.equal(redact('must be <= 3600', ['60']), 'must be <= 3600');
});
