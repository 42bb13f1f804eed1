import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isDatabaseError } from './database.ts';
import {
  countSubmissions, listSubmissions, markEventProcessed, recordSubmission, storeGitLabEvent,
  type RecordSubmissionInput,
} from './submissions.ts';
import { backendTest } from './testing.ts';

const SHA_A = 'a'.repeat(40);

function push(overrides: Partial<RecordSubmissionInput> = {}): RecordSubmissionInput {
  return {
    eventId: randomUUID(),
    course: 'prog1',
    assignment: 'ex01',
    student: 'alice',
    projectId: 4711,
    projectPath: 'prog1/ex01/alice',
    ref: 'refs/heads/main',
    commitSha: SHA_A,
    receivedAt: new Date('2025-03-01T10:00:00.000Z'),
    ...overrides,
  };
}

/** 40-hex sha derived from a small number, so seeded rows are distinct commits. */
function sha(n: number): string {
  return n.toString(16).padStart(40, '0');
}

backendTest('recordSubmission stores and returns the full submission', async ({ db }) => {
  const input = push();
  const { submission, created } = await recordSubmission(db, input);
  assert.equal(created, true);
  assert.match(submission.id, /^[0-9a-f-]{36}$/);
  const { id, ...rest } = submission;
  const { eventId, receivedAt, ...fields } = input;
  assert.deepEqual(rest, { ...fields, eventId, receivedAt, status: 'queued' });
  assert.equal(typeof submission.projectId, 'number');
  assert.deepEqual(await listSubmissions(db), [submission]);
  assert.notEqual(id, eventId);
});

backendTest('recordSubmission is idempotent on the event and on the commit', async ({ db }) => {
  const input = push();
  const first = await recordSubmission(db, input);
  const again = await recordSubmission(db, input);
  assert.deepEqual(again, { submission: first.submission, created: false });
  const otherEvent = await recordSubmission(db, { ...input, eventId: randomUUID() });
  assert.deepEqual(otherEvent, { submission: first.submission, created: false });
  const otherCommit = await recordSubmission(db, push({ commitSha: 'b'.repeat(40) }));
  assert.equal(otherCommit.created, true);
  assert.equal(await countSubmissions(db), 2);
});

backendTest('20 concurrent deliveries of one event create exactly one row', async ({ db }) => {
  const input = push();
  const results = await Promise.all(Array.from({ length: 20 }, () => recordSubmission(db, input)));
  assert.equal(results.filter((r) => r.created).length, 1);
  assert.equal(new Set(results.map((r) => r.submission.id)).size, 1);
  assert.equal(await countSubmissions(db), 1);
});

backendTest('20 concurrent events for one commit create exactly one row', async ({ db }) => {
  const results = await Promise.all(
    Array.from({ length: 20 }, () => db.transaction((tx) => recordSubmission(tx, push()))),
  );
  assert.equal(results.filter((r) => r.created).length, 1);
  assert.equal(new Set(results.map((r) => r.submission.id)).size, 1);
  assert.equal(await countSubmissions(db), 1);
});

backendTest('listSubmissions filters and orders newest first', async ({ db }) => {
  const at = (minute: number): Date => new Date(Date.UTC(2025, 2, 1, 10, minute));
  const seed: Array<Partial<RecordSubmissionInput>> = [
    { course: 'prog1', assignment: 'ex01', student: 'alice', receivedAt: at(1) },
    { course: 'prog1', assignment: 'ex01', student: 'bob', receivedAt: at(3) },
    { course: 'prog1', assignment: 'ex02', student: 'alice', receivedAt: at(2) },
    { course: 'algo', assignment: 'ex01', student: 'alice', receivedAt: at(4) },
  ];
  for (const [i, fields] of seed.entries()) await recordSubmission(db, push({ ...fields, commitSha: sha(i) }));
  const keys = async (filter: Parameters<typeof listSubmissions>[1]): Promise<string[]> =>
    (await listSubmissions(db, filter)).map((s) => `${s.course}/${s.assignment}/${s.student}`);

  assert.deepEqual(await keys({}), ['algo/ex01/alice', 'prog1/ex01/bob', 'prog1/ex02/alice', 'prog1/ex01/alice']);
  assert.deepEqual(await keys({ course: 'prog1' }), ['prog1/ex01/bob', 'prog1/ex02/alice', 'prog1/ex01/alice']);
  assert.deepEqual(await keys({ course: 'prog1', assignment: 'ex01' }), ['prog1/ex01/bob', 'prog1/ex01/alice']);
  assert.deepEqual(await keys({ student: 'alice' }), ['algo/ex01/alice', 'prog1/ex02/alice', 'prog1/ex01/alice']);
  assert.deepEqual(await keys({ student: 'alice', before: at(4) }), ['prog1/ex02/alice', 'prog1/ex01/alice']);
  assert.deepEqual(await keys({ limit: 2 }), ['algo/ex01/alice', 'prog1/ex01/bob']);
  assert.deepEqual(await keys({ course: 'nope' }), []);
  assert.equal(await countSubmissions(db, { course: 'prog1' }), 3);
  assert.equal(await countSubmissions(db, { assignment: 'ex01', before: at(3) }), 1);
});

backendTest('listSubmissions limit defaults to 100, caps at 1000, rejects nonsense', async ({ db }) => {
  // Bulk seed in SQL: 1001 distinct commits, one per second.
  await db.query(
    `INSERT INTO submissions (id, event_id, course, assignment, student, project_id, project_path, ref,
                              commit_sha, status, received_at)
     SELECT gen_random_uuid(), gen_random_uuid(), 'c', 'a', 's', 1, 'p', 'main', lpad(to_hex(i), 40, '0'),
            'queued', $1::timestamptz + i * interval '1 second'
     FROM generate_series(1, 1001) AS i`,
    [new Date('2025-01-01T00:00:00Z')],
  );
  assert.equal((await listSubmissions(db)).length, 100);
  assert.equal((await listSubmissions(db, { limit: 5000 })).length, 1000);
  assert.equal((await listSubmissions(db, { limit: 1 }))[0]?.commitSha, sha(1001));
  for (const limit of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(listSubmissions(db, { limit }), (err) => isDatabaseError(err, 'DB_INVALID_INPUT'));
  }
});

backendTest('a malformed commit sha violates the check constraint', async ({ db }) => {
  await assert.rejects(recordSubmission(db, push({ commitSha: 'ABC' })), (err) => {
    assert.ok(isDatabaseError(err, 'DB_CONSTRAINT_VIOLATION'));
    assert.equal(err.sqlState, '23514');
    return true;
  });
  assert.equal(await countSubmissions(db), 0);
});

backendTest('markEventProcessed is true once per group, and undone by rollback', async ({ db }) => {
  const eventId = randomUUID();
  assert.equal(await markEventProcessed(db, 'grader', eventId), true);
  assert.equal(await markEventProcessed(db, 'grader', eventId), false);
  assert.equal(await markEventProcessed(db, 'notifier', eventId), true);

  const other = randomUUID();
  await assert.rejects(db.transaction(async (tx) => {
    assert.equal(await markEventProcessed(tx, 'grader', other), true);
    await recordSubmission(tx, push({ eventId: other }));
    throw new Error('consumer crashed before commit');
  }), /consumer crashed/);
  // The redelivered event is processed again, atomically with its writes.
  assert.equal(await countSubmissions(db), 0);
  assert.equal(await db.transaction((tx) => markEventProcessed(tx, 'grader', other)), true);
});

backendTest('storeGitLabEvent is idempotent on id and keeps the payload verbatim', async ({ db }) => {
  const id = randomUUID();
  const payload = { object_kind: 'pipeline', builds: [{ id: 1, stage: 'test' }], note: null };
  const event = { id, kind: 'pipeline', course: 'prog1', receivedAt: new Date('2025-03-01T10:00:00Z'), payload };
  assert.equal(await storeGitLabEvent(db, event), true);
  assert.equal(await storeGitLabEvent(db, { ...event, payload: { changed: true } }), false);
  const arrayEvent = { id: randomUUID(), kind: 'job', receivedAt: new Date(), payload: [1, 'two'] };
  assert.equal(await storeGitLabEvent(db, arrayEvent), true);
  const { rows } = await db.query(
    'SELECT id, kind, course, project_path, received_at, payload FROM gitlab_events ORDER BY kind DESC',
  );
  assert.deepEqual(rows, [
    { id, kind: 'pipeline', course: 'prog1', project_path: null, received_at: event.receivedAt, payload },
    { id: arrayEvent.id, kind: 'job', course: null, project_path: null, received_at: arrayEvent.receivedAt, payload: [1, 'two'] },
  ]);
});
