// PROTOTYPE, for the per-key concurrency figure only: what `concurrency: 'key'` on
// KafkaConsumerGroup should do (see docs/performance.md, "Per-key concurrency: the option").
// Production code must not import this file; src/kafka gets its own implementation.
//
// Records of one key (within a partition) run one after another in offset order; records of
// different keys run concurrently, at most `maxConcurrency` at once. Offsets are committed per
// partition only up to the lowest record not finished yet (the watermark), so a crash never
// skips a record that was still running while a later one of another key had finished.
// Back-pressure as in PartitionQueues: fetching pauses at `limit` records waiting and resumes
// at half of it.
import type { FlowControl } from '../../src/kafka/partition-queues.ts';

interface Tracked {
  readonly offset: bigint;
  readonly commit: () => void;
  done: boolean;
}

/** Records of one partition in offset order; the finished prefix is committed and dropped. */
class Watermark {
  readonly #records: Tracked[] = [];
  #head = 0;

  add(record: Tracked): void {
    this.#records.push(record);
  }

  /** Marks a record finished; commits the last record of the finished prefix, if it grew. */
  finish(record: Tracked): void {
    record.done = true;
    let committable: Tracked | undefined;
    while (this.#head < this.#records.length && this.#records[this.#head]?.done === true) {
      committable = this.#records[this.#head];
      this.#head += 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#records.length) {
      this.#records.splice(0, this.#head);
      this.#head = 0;
    }
    committable?.commit();
  }
}

export class KeyScheduler {
  readonly #lanes = new Map<string, Promise<void>>();
  readonly #watermarks = new Map<string, Watermark>();
  readonly #limit: number;
  readonly #maxConcurrency: number;
  readonly #flow: FlowControl;
  readonly #slotWaiters: Array<() => void> = [];
  #running = 0;
  #waiting = 0;
  #paused = false;

  constructor(options: { limit: number; maxConcurrency: number; flow: FlowControl }) {
    this.#limit = options.limit;
    this.#maxConcurrency = options.maxConcurrency;
    this.#flow = options.flow;
  }

  /**
   * `work` handles its own failures (retry, dead letter). `commit` commits this record's
   * offset + 1; it is called only once every earlier record of the partition has finished.
   * A record whose work resolves `false` (abandoned while closing) is never committed, nor is
   * anything after it in its partition.
   */
  push(partition: string, key: string | null, offset: bigint, work: () => Promise<boolean>, commit: () => void): void {
    this.#waiting += 1;
    if (this.#waiting >= this.#limit && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
    let watermark = this.#watermarks.get(partition);
    if (watermark === undefined) {
      watermark = new Watermark();
      this.#watermarks.set(partition, watermark);
    }
    const tracked: Tracked = { offset, commit, done: false };
    watermark.add(tracked);
    // A null key has no order of its own to keep: such records are ordered by partition.
    const lane = `${partition}\u0000${key ?? '\u0000'}`;
    const previous = this.#lanes.get(lane) ?? Promise.resolve();
    const next = previous
      .then(() => this.#acquire())
      .then(async () => {
        try {
          if (await work()) watermark.finish(tracked);
        } finally {
          this.#release();
        }
      })
      .catch(() => {
        // `work` handles its own failures; a rejection here must not break the lane
      })
      .finally(() => this.#done(lane, next));
    this.#lanes.set(lane, next);
  }

  /** Resolves once everything pushed so far has finished. */
  async drain(): Promise<void> {
    while (this.#lanes.size > 0) await Promise.allSettled([...this.#lanes.values()]);
  }

  #acquire(): Promise<void> | void {
    if (this.#running < this.#maxConcurrency) {
      this.#running += 1;
      return;
    }
    return new Promise((resolve) => this.#slotWaiters.push(() => {
      this.#running += 1;
      resolve();
    }));
  }

  #release(): void {
    this.#running -= 1;
    this.#slotWaiters.shift()?.();
  }

  #done(lane: string, chain: Promise<void>): void {
    this.#waiting -= 1;
    if (this.#lanes.get(lane) === chain) this.#lanes.delete(lane);
    if (this.#paused && this.#waiting <= this.#limit / 2) {
      this.#paused = false;
      this.#flow.resume();
    }
  }
}
