import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isDatabaseError, type Database, type Queryable } from './database.ts';
import { loadMigrations, migrate, MIGRATION_LOCK_KEY, type Migration } from './migrate.ts';
import { backendTest, createBackend } from './testing.ts';

async function recorded(db: Queryable): Promise<Array<{ version: number; name: string }>> {
  const { rows } = await db.query<{ version: number; name: string }>(
    'SELECT version, name FROM schema_migrations ORDER BY version',
  );
  return rows;
}

async function tableExists(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name]);
  return rows[0]?.t != null;
}

test('the shipped migrations load in order with their names', async () => {
  const migrations = await loadMigrations();
  assert.deepEqual(migrations.map((m) => [m.version, m.name]).slice(0, 1), [[1, 'initial_schema']]);
  assert.match(migrations[0]?.sql ?? '', /CREATE TABLE submissions/);
});

test('loadMigrations rejects malformed names and duplicate versions', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gradeflow-migrations-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, '001_a.sql'), 'SELECT 1');
  await writeFile(join(dir, '01_b.sql'), 'SELECT 1');
  await assert.rejects(loadMigrations(dir), (err) => isDatabaseError(err, 'DB_MIGRATION_FAILED'));
  await rm(join(dir, '01_b.sql'));
  await writeFile(join(dir, 'init.sql'), 'SELECT 1');
  await assert.rejects(loadMigrations(dir), /init\.sql/);
  await rm(join(dir, 'init.sql'));
  assert.equal((await loadMigrations(dir)).length, 1);
});

backendTest('migrate applies every migration once, in order, and is idempotent', async ({ db }) => {
  const shipped = (await loadMigrations()).map((m) => ({ version: m.version, name: m.name }));
  const latest = shipped.at(-1)?.version ?? 0;
  const first = await migrate(db);
  assert.deepEqual(first.applied, shipped);
  assert.equal(first.version, latest);
  for (const table of ['submissions', 'processed_events', 'gitlab_events', 'checks', 'grades', 'test_results', 'notifications', 'pushes']) {
    assert.ok(await tableExists(db, table), table);
  }
  const second = await migrate(db);
  assert.deepEqual(second, { applied: [], version: latest });
  assert.deepEqual(await recorded(db), shipped);
}, { migrated: false });

backendTest('five concurrent migrate() calls all succeed and apply each migration once', async (ctx) => {
  // pg: five instances with their own pools; PGlite: one handle (single process by design).
  const handles: Database[] = ctx.kind === 'postgres'
    ? await Promise.all(Array.from({ length: 5 }, () => ctx.open({ poolSize: 2 })))
    : Array.from({ length: 5 }, () => ctx.db);
  const extra: Migration[] = [
    ...(await loadMigrations()),
    { version: 900, name: 'counter', sql: 'CREATE TABLE counter (n int); INSERT INTO counter VALUES (1)' },
  ];
  const results = await Promise.all(handles.map((h) => migrate(h, { migrations: extra })));
  const appliedVersions = results.flatMap((r) => r.applied.map((a) => a.version)).sort((a, b) => a - b);
  const expected = extra.map((m) => m.version);
  assert.deepEqual(appliedVersions, expected, 'each migration applied by exactly one of the five');
  assert.ok(results.every((r) => r.version === 900));
  assert.deepEqual((await recorded(ctx.db)).map((r) => r.version), expected);
  assert.equal((await ctx.db.query('SELECT n FROM counter')).rowCount, 1);
}, { migrated: false });

backendTest('a database with an unknown newer migration is refused', async ({ db }) => {
  await migrate(db);
  await db.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')");
  await assert.rejects(migrate(db), (err) => {
    assert.ok(isDatabaseError(err, 'DB_SCHEMA_TOO_NEW'));
    assert.match(err.message, /999/);
    return true;
  });
}, { migrated: false });

backendTest('a failing migration is rolled back and not recorded; earlier ones stay', async ({ db }) => {
  const migrations: Migration[] = [
    { version: 1, name: 'good', sql: 'CREATE TABLE good (n int)' },
    { version: 2, name: 'bad', sql: 'CREATE TABLE half (n int); SELECT 1 / 0' },
  ];
  await assert.rejects(migrate(db, { migrations }), (err) => {
    assert.ok(isDatabaseError(err, 'DB_MIGRATION_FAILED'));
    assert.equal(err.sqlState, '22012');
    assert.match(err.message, /migration 2 \(bad\)/);
    return true;
  });
  assert.ok(await tableExists(db, 'good'));
  assert.equal(await tableExists(db, 'half'), false);
  assert.deepEqual(await recorded(db), [{ version: 1, name: 'good' }]);
}, { migrated: false });

backendTest('a pending migration older than an applied one is refused', async ({ db }) => {
  await migrate(db, { migrations: [{ version: 2, name: 'two', sql: 'SELECT 1' }] });
  const both: Migration[] = [
    { version: 1, name: 'one', sql: 'SELECT 1' },
    { version: 2, name: 'two', sql: 'SELECT 1' },
  ];
  await assert.rejects(migrate(db, { migrations: both }), /migration 1 \(one\) is missing/);
}, { migrated: false });

test('migrate waits for the advisory lock held by another instance [postgres]', async (t) => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  // Registered before the backend's cleanup (hooks run in order): closing the
  // pool waits for the holder's transaction, so it must end first on failure.
  t.after(() => release());
  const backend = await createBackend('postgres', t);
  const [holder, migrator, observer] = await Promise.all([backend.open(), backend.open(), backend.open()]);
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holding = holder.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
    locked();
    await released;
  });
  await isLocked;
  const migrating = migrate(migrator);
  const stop = { done: false };
  const first = await Promise.race([
    waitForBlockedAdvisoryLock(observer, stop).then(() => 'blocked'),
    migrating.then(() => 'finished', () => 'failed'),
  ]);
  stop.done = true;
  assert.equal(first, 'blocked', 'migrate() ran without waiting for the lock');
  assert.equal(await tableExists(observer, 'schema_migrations'), false);
  release();
  await holding;
  assert.deepEqual((await migrating).applied.map((a) => a.version), (await loadMigrations()).map((m) => m.version));
});

/** Polls pg_locks (each poll is a server round trip) until a session waits for the migration lock. */
async function waitForBlockedAdvisoryLock(db: Queryable, stop: { done: boolean }): Promise<void> {
  const key = MIGRATION_LOCK_KEY;
  const params = [(key >> 32n).toString(), (key & 0xffffffffn).toString()];
  while (!stop.done) {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks
       WHERE locktype = 'advisory' AND NOT granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      params,
    );
    if (rows[0]?.n !== '0') return;
  }
}
