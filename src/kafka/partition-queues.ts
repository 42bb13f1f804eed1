// One serial chain of work per partition (order within a partition, hence per key), chains
// running concurrently, and back-pressure: when too much is waiting, fetching pauses.
export interface FlowControl {
  pause(): void;
  resume(): void;
}

export class PartitionQueues {
  readonly #chains = new Map<string, Promise<void>>();
  readonly #limit: number;
  readonly #flow: FlowControl;
  #waiting = 0;
  #paused = false;

  constructor(limit: number, flow: FlowControl) {
    this.#limit = limit;
    this.#flow = flow;
  }

  get size(): number {
    return this.#waiting;
  }

  push(partition: string, work: () => Promise<void>): void {
    this.#waiting += 1;
    if (this.#waiting >= this.#limit && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
    const previous = this.#chains.get(partition) ?? Promise.resolve();
    const next = previous.then(work).catch(() => {
      // `work` handles its own failures; a rejection here must not break the chain
    }).finally(() => this.#done(partition, next));
    this.#chains.set(partition, next);
  }

  /** Resolves once everything pushed so far has finished. */
  async drain(): Promise<void> {
    while (this.#chains.size > 0) await Promise.allSettled([...this.#chains.values()]);
  }

  #done(partition: string, chain: Promise<void>): void {
    this.#waiting -= 1;
    if (this.#chains.get(partition) === chain) this.#chains.delete(partition);
    if (this.#paused && this.#waiting <= this.#limit / 2) {
      this.#paused = false;
      this.#flow.resume();
    }
  }
}
