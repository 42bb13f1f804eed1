// Group commit for the producer. An idempotent producer has one request in flight per broker
// (the client enforces it), so sending each record on its own caps throughput at one round trip
// per record. Records published while a send is in flight are gathered and sent together in the
// next request; every caller is still answered only after its own record was acknowledged.
import type { Producer } from '@platformatic/kafka';
import { murmur2 } from '@platformatic/kafka';
import type { RecordValue } from './client-options.ts';
import { isRecordTooLarge } from './errors.ts';

export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string | undefined;
  readonly value: RecordValue | undefined;
  readonly headers: Record<string, string>;
}

export interface Placement {
  readonly partition: number;
  readonly offset: bigint;
}

interface Waiting {
  readonly record: OutgoingRecord;
  readonly resolve: (placement: Placement) => void;
  readonly reject: (error: unknown) => void;
}

export class SendBatcher {
  readonly #producer: Producer<string, RecordValue, string, string>;
  readonly #maxBatch: number;
  #waiting: Waiting[] = [];
  #sending = false;

  constructor(producer: Producer<string, RecordValue, string, string>, maxBatch = 500) {
    this.#producer = producer;
    this.#maxBatch = maxBatch;
  }

  send(record: OutgoingRecord): Promise<Placement> {
    return new Promise<Placement>((resolve, reject) => {
      this.#waiting.push({ record, resolve, reject });
      if (!this.#sending) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.#maxBatch);
        await this.#sendBatch(batch);
      }
    } finally {
      this.#sending = false;
    }
  }

  async #sendBatch(batch: Waiting[]): Promise<void> {
    try {
      const result = await this.#producer.send({ messages: batch.map((w) => ({ ...w.record })) });
      const placements = await this.#place(batch.map((w) => w.record), result.offsets ?? []);
      batch.forEach((w, i) => w.resolve(placements[i] ?? { partition: -1, offset: -1n }));
    } catch (error) {
      // One record the broker refuses for its size must not fail the others sent with it: each
      // is sent again on its own and gets its own answer. (Other failures, such as the broker
      // being away, concern them all alike.)
      if (batch.length > 1 && isRecordTooLarge(error)) {
        for (const w of batch) await this.#sendBatch([w]);
        return;
      }
      for (const w of batch) w.reject(error);
    }
  }

  /**
   * Where each record landed: the broker answers one base offset per partition, and records of
   * a partition are written in the order they were sent, so a record's offset is the base plus
   * the number of records of the same partition before it in the batch.
   */
  async #place(records: readonly OutgoingRecord[], bases: ReadonlyArray<{ topic: string; partition: number; offset: bigint }>): Promise<Placement[]> {
    const counts = await this.#partitionCounts(records);
    const next = new Map(bases.map((b) => [`${b.topic}:${b.partition}`, b.offset]));
    return records.map((record) => {
      const partition = partitionOf(record.key, counts.get(record.topic) ?? 1);
      const slot = `${record.topic}:${partition}`;
      const offset = next.get(slot) ?? -1n;
      if (offset >= 0n) next.set(slot, offset + 1n);
      return { partition, offset };
    });
  }

  async #partitionCounts(records: readonly OutgoingRecord[]): Promise<Map<string, number>> {
    const topics = [...new Set(records.map((r) => r.topic))];
    // The client caches metadata: this asks the broker only when it has nothing fresh.
    const metadata = await this.#producer.metadata({ topics: [...topics] });
    return new Map(topics.map((topic) => [topic, metadata.topics.get(topic)?.partitionsCount ?? 1]));
  }
}

/** The Java client's choice for a keyed record: murmur2 of the key, positive, modulo partitions. */
export function partitionOf(key: string | undefined, partitions: number): number {
  if (key === undefined) return 0;
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}
