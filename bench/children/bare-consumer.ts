// Consumption section, the client's own ceiling: one @platformatic/kafka Consumer of a group
// reading the same topic as the KafkaConsumerGroup run, with the services' client options and
// deserializers but none of Gradeflow's work per record (no decoding, validation, partition
// queues or per-record commits; the client's autocommit, as ConsumerPerformance commits). What
// the Node client gives on this machine is the most any consumer built on it can reach.
import { Consumer } from '@platformatic/kafka';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../../src/config/index.ts';
import { baseClientOptions, recordDeserializers } from '../../src/kafka/client-options.ts';
import { connectionFrom } from '../../src/kafka/index.ts';
import { helperMain } from '../lib/processes.ts';

export interface BareConsumeInput {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly group: string;
  /** Records on the topic: the run ends when that many were read. */
  readonly expected: number;
  readonly timeoutMs: number;
}

export interface BareConsumeResult {
  readonly read: number;
  readonly bytes: number;
  /** First record read to last. */
  readonly firstToLastMs: number;
  readonly recordsPerSecond: number;
  readonly cpuSeconds: number;
}

async function run(input: BareConsumeInput): Promise<BareConsumeResult> {
  const config = loadConfig({ KAFKA_BROKERS: input.brokers.join(','), KAFKA_REPLICATION_FACTOR: '1', LOG_LEVEL: 'warn' });
  const connection = connectionFrom(config.kafka, input.brokers);
  const consumer = new Consumer({ ...baseClientOptions(connection, 'bare-consumer'), groupId: input.group, deserializers: recordDeserializers, maxWaitTime: 5_000 });
  let read = 0;
  let bytes = 0;
  let first = 0;
  let last = 0;
  const cpuBefore = process.cpuUsage();
  const stream = await consumer.consume({ topics: [input.topic], mode: 'earliest', autocommit: 1_000 });
  stream.on('data', (message: { value?: Buffer }) => {
    const now = performance.now();
    if (read === 0) first = now;
    last = now;
    read += 1;
    bytes += message.value?.length ?? 0;
  });
  const deadline = Date.now() + input.timeoutMs;
  while (read < input.expected && Date.now() < deadline) await delay(20);
  const cpu = process.cpuUsage(cpuBefore);
  await stream.close();
  await consumer.close();
  const firstToLastMs = last - first;
  return { read, bytes, firstToLastMs, recordsPerSecond: read > 1 ? (read - 1) / (firstToLastMs / 1000) : 0, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

helperMain(run);
