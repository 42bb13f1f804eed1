// What a topic holds, exactly: its end offsets (one offset per record, nothing is compacted or
// transactional here), and every record up to them. Counting by offsets proves "nothing was
// written" without waiting for records that might still come.
import { randomUUID } from 'node:crypto';
import { Consumer } from '@platformatic/kafka';
import type { ReadRecord } from './kafka-read.ts';
import { readTopic } from './kafka-read.ts';
import { waitFor } from './wait.ts';

/** How many records each topic holds (sum of its partitions' end offsets). */
export async function recordCounts(brokers: readonly string[], topics: readonly string[]): Promise<Map<string, number>> {
  const consumer = new Consumer({ clientId: 'test-offsets', groupId: `test-offsets-${randomUUID()}`, bootstrapBrokers: [...brokers] });
  try {
    const offsets = await consumer.listOffsets({ topics: [...topics] });
    return new Map(topics.map((topic) => [topic, (offsets.get(topic) ?? []).reduce((sum, end) => sum + Number(end), 0)]));
  } finally {
    await consumer.close(true);
  }
}

export async function recordCount(brokers: readonly string[], topics: readonly string[]): Promise<number> {
  return [...(await recordCounts(brokers, topics)).values()].reduce((a, b) => a + b, 0);
}

/** Every record the topic holds now (none when empty). */
export async function readAll(brokers: readonly string[], topic: string): Promise<ReadRecord[]> {
  const total = await recordCount(brokers, [topic]);
  if (total === 0) return [];
  return readTopic(brokers, topic, (records) => records.length >= total);
}

export interface RawRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyMap<string, string>;
}

/** Every record of the topic with its value as the bytes stored (no string decoding). */
export async function readAllBytes(brokers: readonly string[], topic: string): Promise<RawRecord[]> {
  const total = await recordCount(brokers, [topic]);
  const consumer = new Consumer({ clientId: 'test-bytes', groupId: `test-bytes-${randomUUID()}`, bootstrapBrokers: [...brokers], autocommit: false, maxWaitTime: 100 });
  const records: RawRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    stream.on('data', (message) => records.push({
      key: message.key ?? null,
      value: message.value ?? null,
      headers: new Map([...message.headers].map(([k, v]) => [k.toString('utf8'), v.toString('utf8')])),
    }));
    await waitFor(`${total} records on ${topic}`, () => records.length >= total);
    await stream.close();
    return records;
  } finally {
    await consumer.close(true);
  }
}
