import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RETRY_AFTER_MS, backoffDelay, isRetryableStatus, parseRetryAfter } from './retry-policy.ts';

const NOW = Date.parse('2026-03-01T12:00:00Z');

test('Retry-After in seconds, whole or decimal', () => {
  assert.equal(parseRetryAfter('7', NOW), 7000);
  assert.equal(parseRetryAfter(' 1.5 ', NOW), 1500);
  assert.equal(parseRetryAfter('0', NOW), 0);
});

test('Retry-After as an HTTP date counts from now; a past date means now', () => {
  assert.equal(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', NOW), 30_000);
  assert.equal(parseRetryAfter('Sunday, 01-Mar-26 12:00:10 GMT', NOW), 10_000);
  assert.equal(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', NOW), 0);
});

test('Retry-After is capped, and absent or unreadable is null', () => {
  assert.equal(parseRetryAfter('86400', NOW), MAX_RETRY_AFTER_MS);
  assert.equal(parseRetryAfter('Mon, 02 Mar 2026 12:00:00 GMT', NOW), MAX_RETRY_AFTER_MS);
  assert.equal(parseRetryAfter(null, NOW), null);
  assert.equal(parseRetryAfter('soon', NOW), null);
  assert.equal(parseRetryAfter('-5', NOW), null);
});

test('backoff doubles from 0.5 s to a 30 s ceiling, jitter keeping 50-100 %', () => {
  assert.deepEqual([1, 2, 3, 4].map((retry) => backoffDelay(retry, () => 1)), [500, 1000, 2000, 4000]);
  assert.deepEqual([1, 2, 3].map((retry) => backoffDelay(retry, () => 0)), [250, 500, 1000]);
  assert.equal(backoffDelay(20, () => 1), 30_000);
});

test('429 and 5xx are retried, other statuses are not', () => {
  assert.deepEqual([429, 500, 502, 503, 504].map(isRetryableStatus), [true, true, true, true, true]);
  assert.deepEqual([400, 401, 403, 404, 409, 422].map(isRetryableStatus), [false, false, false, false, false, false]);
});
