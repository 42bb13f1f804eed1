// Consumption section: one process, one member of a consumer group — the production
// KafkaConsumerGroup (poll, decode, validate, handler, commit) — with a handler that does
// nothing, reading the topic the gateway filled. Reports records/s and what it saw.
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../../src/config/index.ts';
import { KafkaConsumerGroup, KafkaEventProducer, connectionFrom, kafkaDeadLetterSink } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { helperMain } from '../lib/processes.ts';

export interface ConsumeInput {
  readonly brokers: readonly string[];
  readonly prefix: string;
  readonly group: string;
  /** Records on the topic: the run ends when that many were handled. */
  readonly expected: number;
  /** Files of event ids the gateway accepted (one per line). */
  readonly idsFiles: readonly string[];
  readonly timeoutMs: number;
}

export interface ConsumeResult {
  readonly handled: number;
  readonly distinctIds: number;
  /** Records whose event id had been handled before (the same event twice on the topic, or a redelivery). */
  readonly duplicates: number;
  /** Accepted ids that never reached the handler. */
  readonly missing: number;
  readonly joinMs: number;
  /** First record handled to last. */
  readonly firstToLastMs: number;
  readonly recordsPerSecond: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
}

async function run(input: ConsumeInput): Promise<ConsumeResult> {
  const config = loadConfig({ KAFKA_BROKERS: input.brokers.join(','), KAFKA_TOPIC_PREFIX: input.prefix, KAFKA_REPLICATION_FACTOR: '1', LOG_LEVEL: 'warn' });
  const connection = connectionFrom(config.kafka, input.brokers);
  const log = createLogger(config.logLevel);
  const producer = new KafkaEventProducer(connection, 'bench-consumer');
  const group = new KafkaConsumerGroup(connection, { group: input.group, topics: ['gitlab.push'], log, deadLetters: kafkaDeadLetterSink(producer, input.prefix) });
  const seen = new Set<string>();
  let handled = 0;
  let duplicates = 0;
  let first = 0;
  let last = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await group.consume(async (event) => {
    const now = performance.now();
    if (handled === 0) first = now;
    last = now;
    handled += 1;
    if (seen.has(event.id)) duplicates += 1;
    else seen.add(event.id);
  });
  const joinMs = performance.now() - started;
  const deadline = Date.now() + input.timeoutMs;
  while (handled < input.expected && Date.now() < deadline) await delay(20);
  const cpu = process.cpuUsage(cpuBefore);
  await group.close();
  await producer.close();
  let missing = 0;
  for (const file of input.idsFiles) {
    for (const id of readFileSync(file, 'utf8').split('\n')) if (id !== '' && !seen.has(id)) missing += 1;
  }
  const firstToLastMs = last - first;
  return {
    handled, distinctIds: seen.size, duplicates, missing, joinMs, firstToLastMs,
    recordsPerSecond: handled > 1 ? (handled - 1) / (firstToLastMs / 1000) : 0,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

helperMain(run);
