import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileWeights, matches, ruleFor } from './weights.ts';

const glob = (pattern: string, text: string) => matches(pattern.split('*'), text);
const pointsOf = (weights: Record<string, number>, fullName: string, name = fullName) =>
  ruleFor(compileWeights(weights), fullName, name)?.points;

test('* matches any run of characters, including none; nothing else is special', () => {
  assert.equal(glob('sorts *', 'sorts an array'), true);
  assert.equal(glob('sorts *', 'sorts '), true);
  assert.equal(glob('sorts *', 'sorts'), false);
  assert.equal(glob('*', ''), true);
  assert.equal(glob('a*b*c', 'abc'), true);
  assert.equal(glob('a*b*c', 'a-c-b'), false);
  assert.equal(glob('a.b?', 'axb?'), false);
  assert.equal(glob('a.b?', 'a.b?'), true);
  assert.equal(glob('[x]*', '[x] y'), true);
});

test('segments must not overlap: prefix and suffix share no characters', () => {
  assert.equal(glob('ab*ba', 'aba'), false);
  assert.equal(glob('ab*ba', 'abba'), true);
  assert.equal(glob('a*a*a', 'aa'), false);
  assert.equal(glob('a*a*a', 'aaa'), true);
  assert.equal(glob('*x*', 'abc'), false);
});

test('matching is case-sensitive and exact without a wildcard', () => {
  assert.equal(glob('Sorts', 'sorts'), false);
  assert.equal(glob('sorts', 'sorts an array'), false);
});

test('pathological patterns stay fast (no backtracking)', () => {
  const started = performance.now();
  assert.equal(glob('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(50_000)), false);
  assert.ok(performance.now() - started < 500);
});

test('an exact name beats a wildcard that also matches, whatever the key order', () => {
  assert.equal(pointsOf({ 'sorts *': 30, 'sorts an empty array': 10 }, 'sorts an empty array'), 10);
  assert.equal(pointsOf({ 'sorts an empty array': 10, 'sorts *': 30 }, 'sorts an empty array'), 10);
  // Even a short exact name beats a long wildcard.
  assert.equal(pointsOf({ 'x': 1, 'Suite › x*': 9 }, 'Suite › x', 'x'), 1);
});

test('among wildcards, the one with the most literal characters wins', () => {
  const weights = { '*': 1, 'sorts *': 2, 'sorts an *': 3, '*array': 4 };
  assert.equal(pointsOf(weights, 'sorts an empty array'), 3);
  assert.equal(pointsOf(weights, 'sorts a big array'), 2);
  assert.equal(pointsOf(weights, 'reverses an array'), 4);
  assert.equal(pointsOf(weights, 'other'), 1);
});

test('equal specificity is settled by code-unit order, not key order', () => {
  assert.equal(pointsOf({ 'b*': 2, '*b': 1 }, 'bb'), 1); // '*b' < 'b*'
  assert.equal(pointsOf({ '*b': 1, 'b*': 2 }, 'bb'), 1);
});

test('integer-like keys (listed first by JS) do not win by position', () => {
  // Object.keys lists '3' first although 'Cases › 3' is written first.
  assert.deepEqual(Object.keys({ 'Cases › 3': 8, 3: 1 }), ['3', 'Cases › 3']);
  assert.equal(pointsOf({ 'Cases › 3': 8, 3: 1 }, 'Cases › 3', '3'), 8);
});

test('patterns match the fullName or the bare name; the exact fullName beats the exact name', () => {
  assert.equal(pointsOf({ 'Sort › *': 4 }, 'Sort › empty', 'empty'), 4);
  assert.equal(pointsOf({ empty: 3 }, 'Sort › empty', 'empty'), 3);
  assert.equal(pointsOf({ empty: 3, 'Sort › empty': 8 }, 'Sort › empty', 'empty'), 8);
  assert.equal(pointsOf({ 'Sort › e*': 3 }, 'Other › empty', 'empty'), undefined);
});
