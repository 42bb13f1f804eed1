/**
 * Throw-away PostgreSQL databases for tests. Each call creates a database
 * with a unique name on the server of TEST_PG_ADMIN_URL (default: the local
 * trust-auth server) and returns its URL; drop() removes it even if test
 * connections are still open.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { migrate, openDatabase } from '../../src/db/index.ts';
import type { Database } from '../../src/db/index.ts';

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  /** Idempotent. */
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return process.env.TEST_PG_ADMIN_URL || DEFAULT_ADMIN_URL;
}

async function asAdmin(sql: string): Promise<void> {
  // A short-lived single client: no pool left behind to keep the test process alive.
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  // Lowercase letters/digits only, so the name needs no quoting rules beyond "".
  const name = `gradeflow_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await asAdmin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    drop() {
      // WITH (FORCE) (PostgreSQL 13+) terminates connections a failed test left open.
      dropped ??= asAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return dropped;
    },
  };
}

/**
 * A fresh database with every migration applied, opened through the project's own adapter;
 * closed, then dropped, when the test ends.
 */
export async function migratedTestDatabase(t: { after(fn: () => Promise<void>): void }): Promise<Database> {
  const database = await createTestDatabase();
  const db = await openDatabase({ url: database.url, dataDir: tmpdir() });
  t.after(async () => {
    await db.close();
    await database.drop();
  });
  await migrate(db);
  return db;
}
