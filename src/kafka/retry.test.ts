import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors/index.ts';
import { DEFAULT_RETRY_POLICY, backoffMs, retryPolicy, retryTransient, sleep } from './retry.ts';

test('backoff starts at 1 s, doubles, and is capped at 5 min by default', () => {
  const policy = retryPolicy();
  assert.deepEqual([1, 2, 3, 4].map((attempt) => backoffMs(policy, attempt)), [1_000, 2_000, 4_000, 8_000]);
  assert.equal(backoffMs(policy, 20), 300_000);
  assert.equal(policy.maxAttempts, 8);
});

test('a policy is checked when built', () => {
  assert.throws(() => retryPolicy({ maxAttempts: 0 }), /maxAttempts/);
  assert.throws(() => retryPolicy({ initialBackoffMs: 10, maxBackoffMs: 5 }), /maxBackoffMs/);
  assert.deepEqual(retryPolicy({ maxAttempts: 3 }), { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 });
});

test('transient failures are tried again up to maxAttempts; permanent ones are not', async () => {
  let calls = 0;
  const transient = await retryTransient(async () => { calls += 1; throw new Error('blip'); }, { isRetryable: () => true, maxAttempts: 3, initialDelayMs: 1 });
  assert.equal(calls, 3);
  assert.equal(transient.attempts, 3);
  assert.equal(transient.stopped, false);
  calls = 0;
  const permanent = await retryTransient(async () => { calls += 1; throw new AppError('BAD', 'no'); }, { isRetryable: (e) => !(e instanceof AppError), initialDelayMs: 1 });
  assert.equal(calls, 1);
  assert.ok(permanent.error instanceof AppError);
});

test('success after failures reports the tries it took', async () => {
  let calls = 0;
  const result = await retryTransient(async () => { calls += 1; if (calls < 3) throw new Error('blip'); }, { isRetryable: () => true, initialDelayMs: 1 });
  assert.deepEqual(result, { attempts: 3, stopped: false });
});

test('an aborted signal stops the loop during its pause, without deciding', async () => {
  const controller = new AbortController();
  const started = Date.now();
  const running = retryTransient(async () => { throw new Error('down'); }, { isRetryable: () => true, signal: controller.signal, initialDelayMs: 60_000 });
  setImmediate(() => controller.abort());
  const result = await running;
  assert.equal(result.stopped, true);
  assert.ok(Date.now() - started < 30_000, 'did not wait for the pause');
});

test('sleep resolves false when aborted, true when it ran out', async () => {
  assert.equal(await sleep(1), true);
  const controller = new AbortController();
  const pending = sleep(60_000, controller.signal);
  controller.abort();
  assert.equal(await pending, false);
  assert.equal(await sleep(0, controller.signal), false);
});
