// Hidden tests for hw1. Run from the root of the student's checkout, which
// must contain src/sort.js exporting `sort(array) -> new sorted array`.
// Test names are matched by the course's scoring.weights patterns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { sort } = await import(pathToFileURL(join(process.cwd(), 'src', 'sort.js')).href);

test('sorts an empty array', () => {
  assert.deepEqual(sort([]), []);
});

test('sorts numbers', () => {
  assert.deepEqual(sort([3, 1, 2, 1]), [1, 1, 2, 3]);
});

test('sorts already sorted input', () => {
  assert.deepEqual(sort([1, 2, 3]), [1, 2, 3]);
});

test('does not modify its argument', () => {
  const input = [2, 1];
  sort(input);
  assert.deepEqual(input, [2, 1]);
});
