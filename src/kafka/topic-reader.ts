// Reads a whole topic as it is now, from its first record to its end, for tools (`gradeflow dlq`).
// The client only consumes as a group member, so the reader joins a throwaway group and never
// commits: a group without offsets is deleted by the broker once its only member leaves.
import { randomUUID } from 'node:crypto';
import { Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import type { KafkaConnection } from './client-options.ts';
import { baseClientOptions, recordDeserializers } from './client-options.ts';
import { toAppError } from './errors.ts';

export interface StoredRecord {
  readonly partition: number;
  readonly offset: bigint;
  /** Milliseconds since the epoch, as the broker stamped it. */
  readonly timestamp: bigint;
  readonly key: string | null;
  /** The bytes as stored. */
  readonly value: Buffer | null;
  readonly headers: ReadonlyMap<string, string>;
}

/** Every record of `topic` below the end offsets seen at the start, by partition then offset. */
export async function readTopicToEnd(connection: KafkaConnection, topic: string, timeoutMs = 60_000): Promise<StoredRecord[]> {
  const consumer = new Consumer({
    ...baseClientOptions(connection, 'reader'),
    groupId: `${connection.topicPrefix}reader-${randomUUID()}`,
    deserializers: recordDeserializers,
    autocommit: false,
    maxWaitTime: 200,
  });
  try {
    const remaining = await partitionsToRead(consumer, topic);
    const records = remaining.size === 0 ? [] : await collect(consumer, topic, remaining, timeoutMs);
    return records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
  } catch (error) {
    throw toAppError(error, `reading ${topic}`);
  } finally {
    await consumer.close(true);
  }
}

/** Partition -> end offset, for the partitions that hold anything. */
async function partitionsToRead(consumer: Consumer<string, Buffer, string, string>, topic: string): Promise<Map<number, bigint>> {
  const [starts, ends] = await Promise.all([
    consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.EARLIEST }),
    consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.LATEST }),
  ]);
  const remaining = new Map<number, bigint>();
  (ends.get(topic) ?? []).forEach((end, partition) => {
    if (end > (starts.get(topic)?.[partition] ?? 0n)) remaining.set(partition, end);
  });
  return remaining;
}

async function collect(consumer: Consumer<string, Buffer, string, string>, topic: string, remaining: Map<number, bigint>, timeoutMs: number): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  // A partition is read once the stream's next fetch offset reaches its end. Checked on a timer
  // too: when the last batch holds no data (a transaction marker), no record says so.
  const check = () => {
    for (const [partition, end] of remaining) if ((stream.offsetsToFetch.get(`${topic}:${partition}`) ?? -1n) >= end) remaining.delete(partition);
    if (remaining.size === 0) resolve();
  };
  const poll = setInterval(check, 100);
  stream.on('error', reject);
  stream.on('data', (message) => {
    const end = remaining.get(message.partition);
    if (end === undefined || message.offset >= end) return;
    records.push({ partition: message.partition, offset: message.offset, timestamp: message.timestamp, key: message.key ?? null, value: message.value ?? null, headers: message.headers });
    if (message.offset === end - 1n) remaining.delete(message.partition);
    check();
  });
  try {
    await promise;
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
    await stream.close();
  }
  return records;
}
