// With records of different keys handled at the same time, a record can finish before an older
// one of the same partition. Committing its offset then would, after a crash, skip the older
// record. The tracker says how far a partition may be committed: up to the newest record whose
// predecessors are all handled. A record that was not handled (abandoned at shutdown or
// revocation) stops the partition there: the next owner reads it again.
interface Entry<T> {
  readonly offset: bigint;
  readonly item: T;
  state: 'running' | 'handled' | 'abandoned';
}

interface PartitionLog<T> {
  readonly entries: Entry<T>[];
  head: number;
}

export class CommitTracker<T> {
  readonly #partitions = new Map<string, PartitionLog<T>>();

  /** Records must be tracked in offset order, as the partition delivers them. */
  track(partition: string, offset: bigint, item: T): void {
    let log = this.#partitions.get(partition);
    if (log === undefined) {
      log = { entries: [], head: 0 };
      this.#partitions.set(partition, log);
    }
    log.entries.push({ offset, item, state: 'running' });
  }

  /** Marks a record finished; returns the record to commit now, if the partition advanced. */
  settle(partition: string, offset: bigint, handled: boolean): T | null {
    const log = this.#partitions.get(partition);
    // Only what is not yet committed past can settle: search from the head.
    let entry: Entry<T> | undefined;
    for (let i = log?.head ?? 0; log !== undefined && i < log.entries.length && entry === undefined; i += 1) if (log.entries[i]?.offset === offset) entry = log.entries[i];
    if (log === undefined || entry === undefined) return null;
    entry.state = handled ? 'handled' : 'abandoned';
    let last: Entry<T> | null = null;
    while (log.head < log.entries.length && log.entries[log.head]?.state === 'handled') {
      last = log.entries[log.head] ?? null;
      log.head += 1;
    }
    if (log.head > 1024) {
      log.entries.splice(0, log.head);
      log.head = 0;
    }
    return last?.item ?? null;
  }

  /** A revoked partition: what was not committed belongs to the next owner. */
  forget(partition: string): void {
    this.#partitions.delete(partition);
  }

  forgetAll(): void {
    this.#partitions.clear();
  }
}
