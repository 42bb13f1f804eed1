import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, Queryable } from './database.ts';
import { DatabaseError } from './errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrationResult {
  /** Migrations applied by THIS call (others may have been applied concurrently by other instances). */
  applied: Array<{ version: number; name: string }>;
  /** Highest version recorded in the database afterwards. */
  version: number;
}

/**
 * Arbitrary constant identifying "gradeflow schema migrations" among advisory
 * locks. Every migrate() transaction takes it with pg_advisory_xact_lock, so
 * instances starting together apply migrations one at a time; the lock is
 * released by COMMIT/ROLLBACK, so a crashed instance cannot leave it held.
 * PGlite implements advisory locks too (one backend, so always granted at
 * once); the same code path runs there and its transaction mutex serialises.
 */
export const MIGRATION_LOCK_KEY = 7_146_237_104_221n;

const FILE_PATTERN = /^(\d+)_([a-z0-9_]+)\.sql$/;
const DEFAULT_DIR = new URL('./migrations/', import.meta.url);

/** Reads `NNN_name.sql` files in version order; rejects malformed names and duplicate versions. */
export async function loadMigrations(dir: URL | string = DEFAULT_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql'));
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_PATTERN.exec(file);
    if (!match?.[1] || !match[2]) {
      throw new DatabaseError('DB_MIGRATION_FAILED', `migration file name ${file} does not match NNN_name.sql`);
    }
    const sql = await readFile(dir instanceof URL ? new URL(file, dir) : join(dir, file), 'utf8');
    migrations.push({ version: Number(match[1]), name: match[2], sql });
  }
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version < 1 || migrations[i - 1]?.version === m.version) {
      throw new DatabaseError('DB_MIGRATION_FAILED', `invalid or duplicate migration version ${m.version}`);
    }
  });
  return migrations;
}

async function lockAndRead(tx: Queryable): Promise<Set<number>> {
  await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY.toString()]);
  // Created under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type.
  await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
  return new Set(rows.map((r) => r.version));
}

/** Refuses to run against a schema this code does not fully understand. */
function checkCompatible(recorded: Set<number>, migrations: readonly Migration[]): void {
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...recorded].filter((v) => !known.has(v)).sort((a, b) => a - b);
  if (unknown.length > 0) {
    throw new DatabaseError(
      'DB_SCHEMA_TOO_NEW',
      `database schema has migration(s) ${unknown.join(', ')} unknown to this version of gradeflow ` +
        `(it knows up to ${Math.max(0, ...known)}); upgrade gradeflow or use another database`,
    );
  }
  const highest = Math.max(0, ...recorded);
  const gap = migrations.find((m) => m.version < highest && !recorded.has(m.version));
  if (gap) {
    throw new DatabaseError(
      'DB_MIGRATION_FAILED',
      `migration ${gap.version} (${gap.name}) is missing but later migration ${highest} is already applied`,
    );
  }
}

async function applyOne(tx: Queryable, m: Migration): Promise<void> {
  try {
    await tx.query(m.sql); // no params: may hold several statements
  } catch (err) {
    const cause = err instanceof DatabaseError ? err : undefined;
    throw new DatabaseError(
      'DB_MIGRATION_FAILED',
      `migration ${m.version} (${m.name}) failed: ${err instanceof Error ? err.message : String(err)}`,
      { sqlState: cause?.sqlState, retryable: cause?.retryable, detail: cause?.detail },
    );
  }
  await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
}

/**
 * Applies pending migrations in order, each in its own transaction together
 * with its schema_migrations row, so a failure leaves earlier ones applied and
 * the failed one not at all. Safe to call from several instances at once.
 */
export async function migrate(db: Database, options: { migrations?: readonly Migration[] } = {}): Promise<MigrationResult> {
  const migrations = options.migrations ?? (await loadMigrations());
  let recorded = await db.transaction(lockAndRead);
  checkCompatible(recorded, migrations);
  const applied: MigrationResult['applied'] = [];
  for (const m of migrations) {
    if (recorded.has(m.version)) continue;
    recorded = await db.transaction(async (tx) => {
      // Re-read under the lock: another instance may have applied it meanwhile.
      const current = await lockAndRead(tx);
      checkCompatible(current, migrations);
      if (current.has(m.version)) return current;
      await applyOne(tx, m);
      applied.push({ version: m.version, name: m.name });
      return current.add(m.version);
    });
  }
  return { applied, version: Math.max(0, ...recorded) };
}
