// Reads what is on a topic, from the beginning, with a throwaway consumer group.
import { randomUUID } from 'node:crypto';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { CLIENT_RETRIES } from '../../src/kafka/client-options.ts';
import { waitFor } from './wait.ts';

export interface ReadRecord {
  readonly key: string | null;
  readonly value: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly headers: Map<string, string>;
}

/** Collects records of `topic` until `until(records)` holds (or the timeout passes). */
export async function readTopic(brokers: readonly string[], topic: string, until: (records: ReadRecord[]) => boolean, timeoutMs = 30_000): Promise<ReadRecord[]> {
  const consumer = new Consumer({ clientId: 'test-reader', groupId: `test-reader-${randomUUID()}`, bootstrapBrokers: [...brokers], deserializers: stringDeserializers, autocommit: false, maxWaitTime: 100, ...CLIENT_RETRIES });
  const records: ReadRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    stream.on('data', (message) => records.push({ key: message.key ?? null, value: message.value ?? '', partition: message.partition, offset: message.offset, headers: message.headers }));
    await waitFor(`records on ${topic}`, () => until(records), { timeoutMs });
    await stream.close();
    return records;
  } finally {
    await consumer.close(true);
  }
}
