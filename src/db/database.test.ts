import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { createTestDatabase } from '../../test/support/postgres.ts';
import { openDatabase, isDatabaseError, type Queryable } from './database.ts';
import { backendTest } from './testing.ts';
import { waitFor } from '../../test/support/wait.ts';

const SECRET = 'Top$ecret-pw';

backendTest('values follow the documented conventions', async ({ db }) => {
  const { rows } = await db.query<{ big: unknown; ts: unknown; doc: unknown; id: unknown }>(
    `SELECT 9007199254740993::int8 AS big, $1::timestamptz AS ts, '{"a":[1]}'::jsonb AS doc,
            '3f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b'::uuid AS id`,
    [new Date('2025-01-02T03:04:05.678Z')],
  );
  assert.deepEqual(rows, [{
    big: '9007199254740993',
    ts: new Date('2025-01-02T03:04:05.678Z'),
    doc: { a: [1] },
    id: '3f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
  }]);
}, { migrated: false });

backendTest('rowCount and multi-statement queries without params', async ({ db }) => {
  const last = await db.query('CREATE TABLE t (n int PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)');
  assert.equal(last.rowCount, 3);
  assert.equal((await db.query('UPDATE t SET n = n + 10 WHERE n > $1', [1])).rowCount, 2);
  const selected = await db.query<{ n: number }>('SELECT n FROM t ORDER BY n');
  assert.deepEqual(selected.rows.map((r) => r.n), [1, 12, 13]);
  assert.equal(selected.rowCount, 3);
}, { migrated: false });

backendTest('transaction commits and returns the callback value', async ({ db }) => {
  await db.query('CREATE TABLE t (n int)');
  const value = await db.transaction(async (tx) => {
    await tx.query('INSERT INTO t VALUES ($1)', [1]);
    await tx.query('INSERT INTO t VALUES ($1)', [2]);
    return 'done';
  });
  assert.equal(value, 'done');
  assert.equal((await db.query('SELECT n FROM t')).rowCount, 2);
}, { migrated: false });

backendTest('transaction rollback leaves nothing and rethrows the same error', async ({ db }) => {
  await db.query('CREATE TABLE t (n int)');
  const failure = new Error('boom');
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES ($1)', [1]);
      throw failure;
    }),
    (err) => err === failure,
  );
  assert.equal((await db.query('SELECT n FROM t')).rowCount, 0);
  // The connection is usable afterwards (released / mutex freed).
  await db.transaction((tx) => tx.query('INSERT INTO t VALUES (2)'));
  assert.equal((await db.query('SELECT n FROM t')).rowCount, 1);
}, { migrated: false });

backendTest('unique violations expose code, SQLSTATE and constraint', async ({ db }) => {
  await db.query('CREATE TABLE t (n int CONSTRAINT t_n_key UNIQUE)');
  await db.query('INSERT INTO t VALUES ($1)', [1]);
  await assert.rejects(db.query('INSERT INTO t VALUES ($1)', [1]), (err) => {
    assert.ok(isDatabaseError(err, 'DB_UNIQUE_VIOLATION'));
    assert.equal(err.sqlState, '23505');
    assert.equal(err.constraint, 't_n_key');
    assert.equal(err.retryable, false);
    return true;
  });
}, { migrated: false });

backendTest('a swallowed statement error makes COMMIT fail with DB_TRANSACTION_ABORTED', async ({ db }) => {
  await db.query('CREATE TABLE t (n int)');
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (1)');
      await tx.query('SELECT 1 / 0').catch(() => undefined);
    }),
    (err) => isDatabaseError(err, 'DB_TRANSACTION_ABORTED'),
  );
  assert.equal((await db.query('SELECT n FROM t')).rowCount, 0);
}, { migrated: false });

backendTest('misuse: db inside its own transaction, tx after the end', async ({ db }) => {
  let leaked: Queryable | undefined;
  await assert.rejects(
    db.transaction(async (tx) => {
      leaked = tx;
      await db.query('SELECT 1'); // would dead-lock on PGlite
    }),
    (err) => isDatabaseError(err, 'DB_MISUSE'),
  );
  assert.ok(leaked);
  await assert.rejects(leaked.query('SELECT 1'), (err) => isDatabaseError(err, 'DB_MISUSE'));
}, { migrated: false });

backendTest('concurrent transactions never see each other\'s uncommitted rows', async ({ db, kind }) => {
  await db.query('CREATE TABLE t (n int)');
  const log: string[] = [];
  const writer = db.transaction(async (tx) => {
    log.push('A:begin');
    for (let i = 0; i < 5; i++) await tx.query('INSERT INTO t VALUES ($1)', [i]);
    log.push('A:end');
    throw new Error('roll back A');
  });
  const reader = db.transaction(async (tx) => {
    log.push('B:begin');
    const { rows } = await tx.query<{ n: string }>('SELECT count(*) AS n FROM t');
    log.push('B:end');
    return rows[0]?.n;
  });
  const [a, b] = await Promise.allSettled([writer, reader]);
  assert.equal(a.status, 'rejected');
  assert.deepEqual(b, { status: 'fulfilled', value: '0' });
  if (kind === 'pglite') {
    // One connection: the second transaction must run strictly after the first.
    assert.deepEqual(log, ['A:begin', 'A:end', 'B:begin', 'B:end']);
  }
}, { migrated: false });

backendTest('close is idempotent and later calls fail with DB_CLOSED', async ({ db }) => {
  await Promise.all([db.close(), db.close()]);
  await assert.rejects(db.query('SELECT 1'), (err) => isDatabaseError(err, 'DB_CLOSED'));
  await assert.rejects(db.transaction(async () => 1), (err) => isDatabaseError(err, 'DB_CLOSED'));
}, { migrated: false });

function assertNoSecret(err: unknown): void {
  const renderings = [String(err), inspect(err, { depth: 10 }), JSON.stringify(err)];
  if (err instanceof Error) renderings.push(err.message, err.stack ?? '');
  for (const text of renderings) assert.ok(!text.includes(SECRET), `secret leaked in: ${text}`);
}

for (const host of ['127.0.0.1', 'localhost']) {
  test(`unreachable server (${host}:1) gives DB_UNAVAILABLE without the password`, async () => {
    const url = `postgres://gradeflow:${encodeURIComponent(SECRET)}@${host}:1/gradeflow`;
    await assert.rejects(openDatabase({ url, dataDir: '/nonexistent' }), (err) => {
      assert.ok(isDatabaseError(err, 'DB_UNAVAILABLE'), inspect(err));
      assert.equal(err.retryable, true);
      assert.match(err.message, new RegExp(`${host}:1`));
      assertNoSecret(err);
      return true;
    });
  });
}

test('an invalid URL is rejected without echoing it', async () => {
  const url = `postgres://u:${SECRET}@[bad-host/db`;
  await assert.rejects(openDatabase({ url, dataDir: '/nonexistent' }), (err) => {
    assert.ok(isDatabaseError(err, 'DB_CONFIG_INVALID'));
    assertNoSecret(err);
    return true;
  });
});

test('description and query errors never contain the password', async (t) => {
  const database = await createTestDatabase();
  t.after(() => database.drop());
  const url = new URL(database.url);
  url.password = SECRET; // the local server trusts, so any password connects
  const db = await openDatabase({ url: url.toString(), dataDir: '/nonexistent' });
  t.after(() => db.close());
  assert.equal(db.kind, 'postgres');
  assert.equal(db.description, `postgres://${url.username}@${url.host}/${database.name}`);
  // The server echoes the bad value in its message; it must come back redacted.
  await assert.rejects(db.query('SELECT $1::int', [SECRET]), (err) => {
    assert.ok(isDatabaseError(err, 'DB_INVALID_INPUT'));
    assert.equal(err.sqlState, '22P02');
    assertNoSecret(err);
    return true;
  });
});

test('a backend terminated between two statements of a transaction fails the transaction, not the process', async (t) => {
  const database = await createTestDatabase();
  t.after(() => database.drop());
  const db = await openDatabase({ url: database.url, dataDir: '/nonexistent', poolSize: 2 });
  t.after(() => db.close());
  const admin = await openDatabase({ url: database.url, dataDir: '/nonexistent', poolSize: 1 });
  t.after(() => admin.close());
  await db.query('CREATE TABLE t (n int)');
  await assert.rejects(db.transaction(async (tx) => {
    const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid;
    await tx.query('INSERT INTO t VALUES (1)');
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    // Idle in the transaction while the server's FATAL arrives: the connection emits 'error'
    // with no query to fail (unhandled, that crashed the process). Once the backend is gone the
    // message is in our socket; one more round trip on another socket lets it be read.
    await waitFor('the terminated backend to be gone', async () => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 0);
    await admin.query('SELECT 1');
    await tx.query('INSERT INTO t VALUES (2)');
  }), (err) => isDatabaseError(err));
  // Nothing of it was written, and the pool serves on with a new connection.
  assert.deepEqual((await db.query('SELECT count(*)::int AS n FROM t')).rows, [{ n: 0 }]);
});

test('PGlite data survives close and reopen; directories are created', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'gradeflow-reopen-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dataDir = join(root, 'nested', 'data');
  const first = await openDatabase({ dataDir });
  try {
    assert.equal(first.kind, 'pglite');
    assert.equal(first.description, join(dataDir, 'pglite'));
    await first.query('CREATE TABLE kept (v text)');
    await first.transaction((tx) => tx.query('INSERT INTO kept VALUES ($1)', ['hello']));
  } finally {
    await first.close();
  }
  assert.ok((await stat(join(dataDir, 'pglite'))).isDirectory());
  const second = await openDatabase({ dataDir, url: '' });
  try {
    assert.equal(second.kind, 'pglite');
    assert.deepEqual((await second.query('SELECT v FROM kept')).rows, [{ v: 'hello' }]);
  } finally {
    await second.close();
  }
});
