// Ordered-by-key concurrency inside a partition. Records of one key run one after another (the
// seed's guarantee: one student's events in order); records of different keys run at the same
// time, so one slow student does not hold up the partition. Offsets are committed only up to the
// first record still in flight: a crash never skips a record that was not handled.
//
// Partition-serial processing is the special case where every record of a partition has the
// same key, which is what `concurrency: 'partition'` does.
import type { FlowControl } from './partition-queues.ts';

interface Entry<T> {
  readonly item: T;
  done: boolean;
}

interface PartitionState<T> {
  /** In arrival (offset) order; the head is the oldest record not yet committed past. */
  readonly entries: Entry<T>[];
  head: number;
}

export class KeyedScheduler<T> {
  readonly #chains = new Map<string, Promise<void>>();
  readonly #partitions = new Map<string, PartitionState<T>>();
  readonly #limit: number;
  readonly #flow: FlowControl;
  readonly #onAdvance: (partition: string, last: T) => void;
  #waiting = 0;
  #paused = false;

  /** `onAdvance` gets the newest record of a partition whose predecessors are all handled. */
  constructor(limit: number, flow: FlowControl, onAdvance: (partition: string, last: T) => void) {
    this.#limit = limit;
    this.#flow = flow;
    this.#onAdvance = onAdvance;
  }

  get size(): number {
    return this.#waiting;
  }

  /**
   * `work` resolves false when the record was NOT handled (abandoned at shutdown): then its
   * offset is never committed past, and the next owner of the partition gets it again.
   */
  push(partition: string, key: string, item: T, work: () => Promise<boolean | void>): void {
    const state = this.#partition(partition);
    const entry: Entry<T> = { item, done: false };
    state.entries.push(entry);
    this.#waiting += 1;
    if (this.#waiting >= this.#limit && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
    const chainKey = `${partition}\u0000${key}`;
    const previous = this.#chains.get(chainKey) ?? Promise.resolve();
    const next: Promise<void> = previous
      .then(work)
      // A rejection (a bug: `work` handles its own failures) must not break the key's chain,
      // and is not a handled record either.
      .then((handled) => handled !== false, () => false)
      .then((handled) => this.#done(partition, state, entry, handled, chainKey, next));
    this.#chains.set(chainKey, next);
  }

  /** Resolves once everything pushed so far has finished. */
  async drain(): Promise<void> {
    while (this.#chains.size > 0) await Promise.allSettled([...this.#chains.values()]);
  }

  /** Forgets a revoked partition's bookkeeping once its in-flight work has finished. */
  forget(partition: string): void {
    const state = this.#partitions.get(partition);
    if (state !== undefined && state.head >= state.entries.length) this.#partitions.delete(partition);
  }

  #partition(partition: string): PartitionState<T> {
    let state = this.#partitions.get(partition);
    if (state === undefined) {
      state = { entries: [], head: 0 };
      this.#partitions.set(partition, state);
    }
    return state;
  }

  #done(partition: string, state: PartitionState<T>, entry: Entry<T>, handled: boolean, chainKey: string, chain: Promise<void>): void {
    entry.done = handled;
    this.#waiting -= 1;
    if (this.#chains.get(chainKey) === chain) this.#chains.delete(chainKey);
    this.#advance(partition, state);
    if (this.#paused && this.#waiting <= this.#limit / 2) {
      this.#paused = false;
      this.#flow.resume();
    }
  }

  #advance(partition: string, state: PartitionState<T>): void {
    let last: Entry<T> | undefined;
    while (state.head < state.entries.length && state.entries[state.head]?.done === true) {
      last = state.entries[state.head];
      state.head += 1;
    }
    if (last === undefined) return;
    // Drop what is behind the head now and then, so a long-lived partition does not grow.
    if (state.head > 1024) {
      state.entries.splice(0, state.head);
      state.head = 0;
    }
    this.#onAdvance(partition, last.item);
  }
}
