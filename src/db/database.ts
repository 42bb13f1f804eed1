/**
 * The database seam the core depends on. Two adapters implement it:
 * PostgreSQL through a `pg` Pool (production) and PGlite (embedded, for
 * single-process installs and development without a server).
 *
 * Value conventions, identical for both adapters:
 * - int8/bigint columns come back as **strings** (pg's default). A bigint can
 *   exceed Number.MAX_SAFE_INTEGER, and PGlite would otherwise return number
 *   or BigInt depending on the value. Repositories convert where they know the
 *   range is safe (e.g. GitLab project ids) and check it.
 *   Note: count(*) is int8 too.
 * - timestamptz comes back as a JS Date; uuid as string; jsonb as parsed JSON.
 * - `query(sql)` WITHOUT params uses the simple query protocol and may contain
 *   several statements (as with pg); the result is that of the last statement.
 *   With params it is a single prepared statement.
 */
import type { DatabaseError } from './errors.ts';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

export interface Database extends Queryable {
  /**
   * Runs fn inside BEGIN/COMMIT; ROLLBACK when fn throws (fn's error is
   * rethrown unchanged). Use only `tx` inside fn: calling this database's
   * query()/transaction() there throws DB_MISUSE. Isolation: READ COMMITTED.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  /** Idempotent; waits for running work, then rejects new calls with DB_CLOSED. */
  close(): Promise<void>;
  readonly kind: 'postgres' | 'pglite';
  /** For the start banner: `postgres://user@host:port/db` (no password) or the PGlite directory. */
  readonly description: string;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; empty/absent selects PGlite in `<dataDir>/pglite`. */
  url?: string | null;
  dataDir: string;
  /** pg pool size (default 10); ignored for PGlite, which has one connection. */
  poolSize?: number;
  /** pg connect timeout in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Errors of idle pooled connections (server restart etc.); pg only. */
  onBackgroundError?: (err: DatabaseError) => void;
}

/** Opens and pings the database, so a bad configuration fails at start-up. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const url = options.url?.trim();
  // Adapters are imported lazily so a pg deployment never loads the PGlite WASM and vice versa.
  if (url) {
    const { openPostgres } = await import('./postgres.ts');
    return openPostgres({
      url,
      poolSize: options.poolSize ?? 10,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      onBackgroundError: options.onBackgroundError,
    });
  }
  const { openPGlite } = await import('./pglite.ts');
  return openPGlite({ dataDir: options.dataDir });
}

/** Pings a just-opened database, closing it again if it does not answer. */
export async function pingedOrClosed<T extends Database>(db: T): Promise<T> {
  try {
    await db.ping();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}

export { DatabaseError, isDatabaseError } from './errors.ts';
export type { DbErrorCode } from './errors.ts';
