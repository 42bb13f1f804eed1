import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseError } from './errors.ts';

/**
 * Detects `db.query()` / `db.transaction()` called from inside a callback of
 * the same database's `transaction()`. On PGlite (one connection) that call
 * would wait for the running transaction forever; on pg it silently runs
 * outside the transaction. Both adapters reject it so code behaves the same.
 */

interface Scope {
  owner: object;
  active: boolean;
}

const scopes = new AsyncLocalStorage<Scope>();

export async function runInTransactionScope<T>(owner: object, fn: () => Promise<T>): Promise<T> {
  const scope: Scope = { owner, active: true };
  try {
    return await scopes.run(scope, fn);
  } finally {
    // Work spawned during the transaction may outlive it; it may then use db freely.
    scope.active = false;
  }
}

export function assertOutsideTransaction(owner: object, operation: string): void {
  const scope = scopes.getStore();
  if (scope?.active && scope.owner === owner) {
    throw new DatabaseError(
      'DB_MISUSE',
      `db.${operation}() called inside db.transaction() of the same database; use the tx argument instead`,
    );
  }
}

/** Tracks whether a transaction handle may still be used. */
export class HandleState {
  open = true;

  assertOpen(): void {
    if (!this.open) {
      throw new DatabaseError('DB_MISUSE', 'transaction handle used after its transaction ended');
    }
  }
}
