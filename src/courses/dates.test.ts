import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDateTime } from './dates.ts';

const iso = (s: string) => {
  const r = parseDateTime(s);
  return r.ok ? r.date.toISOString() : `error: ${r.message}`;
};

test('accepts offsets, Z, space separator, missing seconds and fractions', () => {
  assert.equal(iso('2026-12-01T23:59:00+03:00'), '2026-12-01T20:59:00.000Z');
  assert.equal(iso('2026-12-01T23:59:00Z'), '2026-12-01T23:59:00.000Z');
  assert.equal(iso('2026-12-01 23:59 -0130'), '2026-12-02T01:29:00.000Z');
  assert.equal(iso('2026-12-01T23:59:00.5+00:00'), '2026-12-01T23:59:00.500Z');
});

test('rejects ambiguous or impossible values with a reason', () => {
  assert.match(iso('2026-12-01T23:59:00'), /missing timezone offset/);
  assert.match(iso('2026-12-01'), /date alone is ambiguous/);
  assert.match(iso('2026-02-29T10:00Z'), /no such date/);
  assert.match(iso('2026-12-01T24:00Z'), /no such date or time/);
  assert.match(iso('2026-12-01T10:00+24:00'), /offset out of range/);
  assert.match(iso('next friday'), /not a date-time/);
});

test('leap day exists in leap years', () => {
  assert.equal(iso('2028-02-29T10:00Z'), '2028-02-29T10:00:00.000Z');
});
