import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite, TransactionAbortedError, types, type Results, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.ts';
import { pingedOrClosed } from './database.ts';
import { DatabaseError, toDatabaseError, type ErrorContext } from './errors.ts';
import { assertOutsideTransaction, HandleState, runInTransactionScope } from './tx-scope.ts';

type Target = Pick<PGlite, 'query' | 'exec'> | Pick<Transaction, 'query' | 'exec'>;

function normalise<R>(result: Results | undefined): QueryResult<R> {
  if (!result) return { rows: [], rowCount: 0 };
  // PGlite's affectedRows is 0 for SELECT; rowCount (from the command tag) matches pg.
  const rowCount = result.rowCount ?? result.affectedRows ?? result.rows.length;
  return { rows: result.rows as R[], rowCount };
}

/** Same protocol choice as pg: simple protocol (multi-statement) only without params. */
async function run<R>(target: Target, sql: string, params: unknown[] | undefined): Promise<QueryResult<R>> {
  if (params === undefined || params.length === 0) {
    const results = await target.exec(sql);
    return normalise<R>(results[results.length - 1]);
  }
  return normalise<R>(await target.query(sql, params));
}

/**
 * Concurrency: PGlite is ONE connection. Its transaction() holds an internal
 * mutex for the whole callback, and its top-level query()/exec() wait for that
 * mutex too, so statements of concurrent callers never interleave with a
 * running transaction (see database.test.ts "transactions do not interleave").
 * We rely on that instead of a second queue of our own.
 */
class PGliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly description: string;
  readonly #pg: PGlite;
  readonly #ctx: ErrorContext;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(pg: PGlite, path: string) {
    this.#pg = pg;
    this.description = path;
    this.#ctx = { target: path, secrets: [] };
  }

  async query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
    this.#assertUsable('query');
    return this.#track(async () => {
      try {
        return await run<R>(this.#pg, sql, params);
      } catch (err) {
        throw toDatabaseError(err, this.#ctx);
      }
    });
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#assertUsable('transaction');
    return this.#track(async () => {
      const state = new HandleState();
      let fnFailed = false;
      try {
        return await this.#pg.transaction(async (tx) => {
          try {
            return await runInTransactionScope(this, () => fn(this.#handle(tx, state)));
          } catch (err) {
            fnFailed = true;
            throw err;
          } finally {
            state.open = false;
          }
        });
      } catch (err) {
        throw fnFailed ? err : this.#mapTransactionError(err);
      }
    });
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // Let running work finish; closing under it would fail it with an obscure error.
      await Promise.allSettled([...this.#inFlight]);
      await this.#pg.close();
    })();
    return this.#closing;
  }

  #handle(tx: Transaction, state: HandleState): Queryable {
    return {
      query: async <R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> => {
        state.assertOpen();
        try {
          return await run<R>(tx, sql, params);
        } catch (err) {
          throw toDatabaseError(err, this.#ctx);
        }
      },
    };
  }

  #mapTransactionError(err: unknown): DatabaseError {
    if (err instanceof TransactionAbortedError) {
      return new DatabaseError('DB_TRANSACTION_ABORTED', 'transaction was rolled back instead of committed: a statement in it failed', { sqlState: '25P02' });
    }
    return toDatabaseError(err, this.#ctx);
  }

  #track<T>(work: () => Promise<T>): Promise<T> {
    const promise = work();
    this.#inFlight.add(promise);
    const forget = (): void => {
      this.#inFlight.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  #assertUsable(operation: string): void {
    if (this.#closing) throw new DatabaseError('DB_CLOSED', `db.${operation}() called after close()`);
    assertOutsideTransaction(this, operation);
  }
}

export async function openPGlite(options: { dataDir: string }): Promise<Database> {
  const path = resolve(options.dataDir, 'pglite');
  await mkdir(path, { recursive: true });
  let pg: PGlite;
  try {
    // Keep int8 as string like pg does (PGlite would give number or BigInt by size).
    pg = await PGlite.create(path, { parsers: { [types.INT8]: (value: string) => value } });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // Not retryable: a damaged or foreign data directory does not heal by waiting.
    throw new DatabaseError('DB_UNAVAILABLE', `cannot open PGlite database in ${path}: ${reason}`);
  }
  return pingedOrClosed(new PGliteDatabase(pg, path));
}
