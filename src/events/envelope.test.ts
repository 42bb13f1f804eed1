import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors/index.ts';
import { EVENTS, createEnvelope, decodeEvent, encodeEvent, stableId } from './index.ts';

const SHA = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';
const status = { submissionId: stableId('s'), course: 'algo-2026', assignment: 'hw1', student: 'jsmith', commitSha: SHA, state: 'queued' as const, reason: null };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AppError);
    assert.equal(error.retryable, false, 'bad bytes never become good by retrying');
    return error.code;
  }
  assert.fail('expected an error');
}

test('an event survives encode and decode with its envelope', () => {
  const envelope = createEnvelope(EVENTS.pipelineStatus, 'test', { key: 'algo-2026:hw1:jsmith', payload: status });
  const decoded = decodeEvent(encodeEvent(envelope));
  assert.deepEqual(decoded, envelope);
  assert.equal(decoded.type, 'pipeline.status');
  assert.equal(decoded.version, 1);
  assert.match(decoded.id, /^[0-9a-f-]{36}$/);
});

test('an invalid payload is refused when produced', () => {
  assert.throws(
    () => createEnvelope(EVENTS.pipelineStatus, 'test', { key: 'k', payload: { ...status, commitSha: 'not-a-sha' } }),
    (error: unknown) => error instanceof AppError && error.code === 'EVENT_INVALID' && /commitSha/.test(error.message),
  );
});

test('consumers get a permanent, explained error for every kind of bad record', () => {
  const valid = createEnvelope(EVENTS.pipelineStatus, 'test', { key: 'k', payload: status });
  assert.equal(codeOf(() => decodeEvent(null)), 'EVENT_EMPTY');
  assert.equal(codeOf(() => decodeEvent('{"id":')), 'EVENT_NOT_JSON');
  assert.equal(codeOf(() => decodeEvent('[1,2]')), 'EVENT_ENVELOPE_INVALID');
  assert.equal(codeOf(() => decodeEvent(JSON.stringify({ ...valid, type: 'grading.unknown' }))), 'EVENT_UNKNOWN_TYPE');
  assert.equal(codeOf(() => decodeEvent(JSON.stringify({ ...valid, version: 99 }))), 'EVENT_UNKNOWN_TYPE');
  assert.equal(codeOf(() => decodeEvent(JSON.stringify({ ...valid, payload: { ...status, state: 'exploded' } }))), 'EVENT_PAYLOAD_INVALID');
});

test('stable ids are UUID-shaped, deterministic and distinct per name', () => {
  assert.equal(stableId('a', 'b'), stableId('a', 'b'));
  assert.notEqual(stableId('a', 'b'), stableId('ab'));
  assert.match(stableId('x'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
