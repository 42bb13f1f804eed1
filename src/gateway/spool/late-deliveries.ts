// A produce that outlived the gateway's patience was spooled; if it lands in Kafka after all,
// the forwarder need not send the spooled copy again. Remembered in memory only (bounded): a
// copy that still slips through carries the same event id, which consumers deduplicate.
export class LateDeliveries {
  readonly #ids = new Set<string>();
  readonly #max: number;

  constructor(max = 100_000) {
    this.#max = max;
  }

  add(eventId: string): void {
    this.#ids.add(eventId);
    if (this.#ids.size > this.#max) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
  }

  /** True once: the spooled copy is skipped, and the id forgotten. */
  take(eventId: string): boolean {
    return this.#ids.delete(eventId);
  }
}
