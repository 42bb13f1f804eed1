// One serial chain of work per partition (order within a partition, hence per key), chains
// running concurrently, and back-pressure: when too much is waiting, fetching pauses.
//
// Rebalances and shutdown need two more things. `revoke(partition)` abandons the partition's
// queued work (it is skipped, so never committed: the next owner reads it again) and aborts the
// signal handed to work already running, which stops waits and retry loops; the running handler
// itself is left to finish. `hold()` keeps queued work from starting while the group rebalances
// (the eager protocol may take any partition away), `release()` lets it go on.
export interface FlowControl {
  pause(): void;
  resume(): void;
}

export type PartitionWork = (signal: AbortSignal) => Promise<void>;

interface Lane {
  chain: Promise<void>;
  pending: number;
}

export class PartitionQueues {
  /** One chain per partition, or per (partition, key) when records of a partition are keyed. */
  readonly #lanes = new Map<string, Lane>();
  /** One signal per partition, shared by its lanes: revoking a partition aborts all of them. */
  readonly #controllers = new Map<string, AbortController>();
  readonly #limit: number;
  readonly #flow: FlowControl;
  #waiting = 0;
  #paused = false;
  #gate: Promise<void> = Promise.resolve();
  #openGate: (() => void) | null = null;

  constructor(limit: number, flow: FlowControl) {
    this.#limit = limit;
    this.#flow = flow;
  }

  /** Records pushed and not finished yet, across partitions. */
  get size(): number {
    return this.#waiting;
  }

  /**
   * Queues work of a partition. Without `key`, the partition's records run one after another;
   * with it, records of one key do, and different keys of the partition run concurrently.
   */
  push(partition: string, work: PartitionWork, key?: string): void {
    this.#waiting += 1;
    if (this.#waiting >= this.#limit && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
    const laneId = key === undefined ? partition : `${partition}\u0000${key}`;
    const lane = this.#lane(laneId);
    const { signal } = this.#controller(partition);
    lane.pending += 1;
    lane.chain = lane.chain.then(() => this.#turn(laneId, lane, signal, work));
  }

  /** Abandons the partition's queued work and aborts what is running; later pushes start afresh
   * (after the running work, so one partition is still never handled twice at once). */
  revoke(partition: string): void {
    this.#controllers.get(partition)?.abort();
    this.#controllers.delete(partition);
  }

  revokeAll(): void {
    for (const partition of [...this.#controllers.keys()]) this.revoke(partition);
  }

  hold(): void {
    if (this.#openGate !== null) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#gate = promise;
    this.#openGate = resolve;
  }

  release(): void {
    this.#openGate?.();
    this.#openGate = null;
    this.#gate = Promise.resolve();
  }

  get held(): boolean {
    return this.#openGate !== null;
  }

  /** Resolves once everything pushed so far has finished (call release() first when held). */
  async drain(): Promise<void> {
    while (this.#lanes.size > 0) await Promise.allSettled([...this.#lanes.values()].map((lane) => lane.chain));
  }

  #lane(laneId: string): Lane {
    let lane = this.#lanes.get(laneId);
    if (lane === undefined) {
      lane = { chain: Promise.resolve(), pending: 0 };
      this.#lanes.set(laneId, lane);
    }
    return lane;
  }

  #controller(partition: string): AbortController {
    let controller = this.#controllers.get(partition);
    if (controller === undefined) {
      controller = new AbortController();
      this.#controllers.set(partition, controller);
    }
    return controller;
  }

  /** One record's turn in its lane. A single async step per record (not a chain of then,
   * catch and finally): at tens of thousands of records a second the promises are the cost. */
  async #turn(laneId: string, lane: Lane, signal: AbortSignal, work: PartitionWork): Promise<void> {
    try {
      // The gate is read when the turn comes, not at push: work queued before a hold waits too.
      if (this.#openGate !== null) await this.#gate;
      if (!signal.aborted) await work(signal);
    } catch {
      // `work` handles its own failures; a rejection here must not break the chain
    } finally {
      this.#done(laneId, lane);
    }
  }

  #done(laneId: string, lane: Lane): void {
    this.#waiting -= 1;
    lane.pending -= 1;
    if (lane.pending === 0 && this.#lanes.get(laneId) === lane) this.#lanes.delete(laneId);
    if (this.#paused && this.#waiting <= this.#limit / 2) {
      this.#paused = false;
      this.#flow.resume();
    }
  }
}
