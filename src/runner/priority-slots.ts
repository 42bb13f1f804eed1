// A fixed number of run slots shared by the check topics of every priority. When a slot frees
// up, the waiting exam check gets it before practice work, and practice work before re-grades:
// that is how runners "prefer the higher queues" while consuming all three.
export type SlotPriority = 'exam' | 'normal' | 'regrade';

const ORDER: readonly SlotPriority[] = ['exam', 'normal', 'regrade'];

export interface Slot {
  /** 0..size-1, e.g. to give each concurrent sandbox its own uid. */
  readonly index: number;
  release(): void;
}

export class PrioritySlots {
  readonly #free: number[];
  readonly #waiting: Record<SlotPriority, Array<(slot: Slot) => void>> = { exam: [], normal: [], regrade: [] };

  constructor(size: number) {
    this.#free = Array.from({ length: size }, (_, i) => size - 1 - i);
  }

  get available(): number {
    return this.#free.length;
  }

  waiting(priority: SlotPriority): number {
    return this.#waiting[priority].length;
  }

  acquire(priority: SlotPriority): Promise<Slot> {
    const index = this.#free.pop();
    if (index !== undefined) return Promise.resolve(this.#slot(index));
    return new Promise((resolve) => this.#waiting[priority].push(resolve));
  }

  #slot(index: number): Slot {
    let released = false;
    return {
      index,
      release: () => {
        if (released) return;
        released = true;
        this.#handOver(index);
      },
    };
  }

  #handOver(index: number): void {
    for (const priority of ORDER) {
      const next = this.#waiting[priority].shift();
      if (next !== undefined) {
        next(this.#slot(index));
        return;
      }
    }
    this.#free.push(index);
  }
}
