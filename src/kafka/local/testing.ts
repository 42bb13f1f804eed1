// Helpers for tests that run real brokers: waiting on conditions with a deadline, checking
// whether a pid is still alive, and producing / reading string records.
import { readFileSync } from 'node:fs';
import { waitFor as waitUntil } from '../../../test/support/wait.ts';
import { CLIENT_RETRIES } from '../client-options.ts';
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import type { ProduceResult } from '@platformatic/kafka';

export interface WaitForOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** What is awaited, for the timeout message. */
  readonly what: string;
}

/**
 * Polls `probe` until it returns a value other than undefined/false and returns that value;
 * throws (with the probe's last error, if any) once timeoutMs has passed.
 */
export function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitForOptions): Promise<T> {
  return waitUntil(options.what, probe, options);
}

/** True while a process with this pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; a zombie has exited, only its entry is left.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface ProduceOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly records: ReadonlyArray<{ key: string; value: string }>;
  readonly acks?: number;
}

/** Sends string records with an idempotent producer, closing it afterwards. */
export async function produceStrings(options: ProduceOptions): Promise<ProduceResult> {
  const producer = new Producer({
    clientId: 'local-kafka-test-producer',
    bootstrapBrokers: [...options.brokers],
    ...CLIENT_RETRIES,
    serializers: stringSerializers,
    idempotent: true,
    acks: options.acks ?? -1,
    retries: 5,
  });
  try {
    return await producer.send({ messages: options.records.map((record) => ({ topic: options.topic, ...record })) });
  } finally {
    await producer.close();
  }
}

export interface ReadOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly count: number;
  readonly timeoutMs?: number;
}

/** Reads the first `count` records of a topic from the earliest offset (a fresh group, no commits). */
export async function readStrings(options: ReadOptions): Promise<Array<{ key: string; value: string; offset: bigint }>> {
  const consumer = new Consumer({
    groupId: options.groupId,
    clientId: 'local-kafka-test-consumer',
    bootstrapBrokers: [...options.brokers],
    ...CLIENT_RETRIES,
    deserializers: stringDeserializers,
  });
  const records: Array<{ key: string; value: string; offset: bigint }> = [];
  try {
    const stream = await consumer.consume({ topics: [options.topic], mode: 'earliest', autocommit: false });
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      stream.destroy(new Error(`read only ${records.length} of ${options.count} records in ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      for await (const message of stream) {
        records.push({ key: message.key, value: message.value, offset: message.offset });
        if (records.length >= options.count) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close().catch(() => {});
    }
  } finally {
    await consumer.close(true);
  }
  return records;
}
