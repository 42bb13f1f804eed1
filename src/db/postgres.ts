import pg from 'pg';
import type { Database, Queryable, QueryResult } from './database.ts';
import { pingedOrClosed } from './database.ts';
import { DatabaseError, toDatabaseError, type ErrorContext } from './errors.ts';
import { assertOutsideTransaction, HandleState, runInTransactionScope } from './tx-scope.ts';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  onBackgroundError: ((err: DatabaseError) => void) | undefined;
}

interface Target {
  description: string;
  secrets: string[];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Parses the URL only to describe it and to learn what to redact; pg parses it again. */
export function describePostgresUrl(url: string): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Never echo the URL: it may contain the password.
    throw new DatabaseError('DB_CONFIG_INVALID', 'database URL is not a valid URL (expected postgres://user:password@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseError('DB_CONFIG_INVALID', `database URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  const queryPassword = parsed.searchParams.get('password') ?? '';
  const secrets = [parsed.password, safeDecode(parsed.password), queryPassword].filter((s) => s.length > 0);
  const user = parsed.username ? `${safeDecode(parsed.username)}@` : '';
  const host = parsed.host || parsed.searchParams.get('host') || 'localhost';
  return { description: `postgres://${user}${host}${parsed.pathname}`, secrets };
}

function normalise<R>(result: pg.QueryResult | pg.QueryResult[]): QueryResult<R> {
  // Several statements without params yield one result per statement; keep the last.
  const last = Array.isArray(result) ? result[result.length - 1] : result;
  if (!last) return { rows: [], rowCount: 0 };
  return { rows: last.rows as R[], rowCount: last.rowCount ?? last.rows.length };
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly description: string;
  readonly #pool: pg.Pool;
  readonly #ctx: ErrorContext;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, target: Target) {
    this.#pool = pool;
    this.description = target.description;
    this.#ctx = { target: target.description, secrets: target.secrets };
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    this.#assertUsable('query');
    try {
      return normalise<R>(await this.#pool.query(sql, params));
    } catch (err) {
      throw toDatabaseError(err, this.#ctx);
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#assertUsable('transaction');
    const client = await this.#pool.connect().catch((err: unknown) => {
      throw toDatabaseError(err, this.#ctx);
    });
    const state = new HandleState();
    let broken: Error | undefined;
    // The pool listens for errors of idle connections only. A checked-out one whose backend is
    // terminated between two statements (pg_terminate_backend, a server restart) emits 'error'
    // with no query to fail: without this listener the process would crash. The connection is
    // destroyed on release, and the next statement of the transaction fails with the error.
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await this.#run(client, 'BEGIN');
      const result = await runInTransactionScope(this, () => fn(this.#handle(client, state)));
      state.open = false;
      await this.#commit(client);
      return result;
    } catch (err) {
      state.open = false;
      broken = (await this.#rollback(client)) ?? broken;
      throw err; // fn's own errors pass through unchanged; driver errors are already mapped
    } finally {
      client.off('error', onError);
      // A connection whose ROLLBACK failed, or that failed on its own, is in an unknown state:
      // destroy it.
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }

  #handle(client: pg.PoolClient, state: HandleState): Queryable {
    return {
      query: async <R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> => {
        state.assertOpen();
        try {
          return normalise<R>(await client.query(sql, params));
        } catch (err) {
          throw toDatabaseError(err, this.#ctx);
        }
      },
    };
  }

  async #run(client: pg.PoolClient, sql: string): Promise<pg.QueryResult> {
    try {
      return await client.query(sql);
    } catch (err) {
      throw toDatabaseError(err, this.#ctx);
    }
  }

  async #commit(client: pg.PoolClient): Promise<void> {
    const result = await this.#run(client, 'COMMIT');
    // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error.
    if (result.command === 'ROLLBACK') {
      throw new DatabaseError('DB_TRANSACTION_ABORTED', 'transaction was rolled back instead of committed: a statement in it failed', { sqlState: '25P02' });
    }
  }

  async #rollback(client: pg.PoolClient): Promise<Error | undefined> {
    try {
      await client.query('ROLLBACK');
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  #assertUsable(operation: string): void {
    if (this.#closing) throw new DatabaseError('DB_CLOSED', `db.${operation}() called after close()`);
    assertOutsideTransaction(this, operation);
  }
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const target = describePostgresUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'gradeflow',
  });
  // Without a listener an idle connection dropped by the server would crash the process.
  pool.on('error', (err) => {
    options.onBackgroundError?.(toDatabaseError(err, { target: target.description, secrets: target.secrets }));
  });
  return pingedOrClosed(new PostgresDatabase(pool, target));
}
