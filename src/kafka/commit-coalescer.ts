// At most one offset commit in flight per partition. While one runs, newer records of the
// partition only replace the record to commit next, so a burst of N handled records costs a
// couple of commits instead of N promises, bound callbacks and waiters in the client
// (docs/performance.md, consumption). Committing a record commits everything before it, and
// callers hand records in offset order (the commit tracker guarantees it under key concurrency),
// so committing only the newest loses nothing.
export interface Committable {
  commit(): unknown;
}

export type CommitFailure = (error: unknown, partition: string) => void;

export class CommitCoalescer<T extends Committable> {
  /** The newest record of each partition waiting for the commit in flight to finish. */
  readonly #next = new Map<string, T>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #onFailure: CommitFailure;

  constructor(onFailure: CommitFailure) {
    this.#onFailure = onFailure;
  }

  /** Commits `record` (and all before it in its partition) soon. */
  request(partition: string, record: T): void {
    this.#next.set(partition, record);
    if (!this.#running.has(partition)) this.#running.set(partition, this.#run(partition));
  }

  /** A revoked partition: the record waiting to be committed is the next owner's now. */
  forget(partition: string): void {
    this.#next.delete(partition);
  }

  forgetAll(): void {
    this.#next.clear();
  }

  /** Resolves once every commit requested so far has been tried. */
  async flush(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  async #run(partition: string): Promise<void> {
    try {
      for (let record = this.#next.get(partition); record !== undefined; record = this.#next.get(partition)) {
        this.#next.delete(partition);
        try {
          await record.commit();
        } catch (error) {
          this.#onFailure(error, partition);
        }
      }
    } finally {
      this.#running.delete(partition);
    }
  }
}
