// Per-key concurrency section: one consumer process reads a one-partition topic of N records
// over K keys with a handler that takes 0-5 ms (a deterministic function of the offset, so
// both modes get the same work), and checks that each key's records were handled in order.
//
// mode 'partition': KafkaConsumerGroup with `concurrency: 'partition'` (one record at a time).
// mode 'key': KafkaConsumerGroup with `concurrency: 'key'` (the services' default).
import { setTimeout as delay } from 'node:timers/promises';
import { loadConfig } from '../../src/config/index.ts';
import type { ConsumerGroupOptions, MessageContext } from '../../src/kafka/index.ts';
import { KafkaConsumerGroup, KafkaEventProducer, connectionFrom, kafkaDeadLetterSink } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { groupLags, kafkaAdmin } from '../lib/infra.ts';
import { helperMain } from '../lib/processes.ts';

export interface PerKeyInput {
  readonly brokers: readonly string[];
  readonly prefix: string;
  readonly group: string;
  readonly mode: 'partition' | 'key';
  readonly messages: number;
  readonly timeoutMs: number;
}

export interface PerKeyResult {
  readonly mode: 'partition' | 'key';
  readonly handled: number;
  readonly durationMs: number;
  readonly messagesPerSecond: number;
  readonly maxConcurrent: number;
  readonly orderViolations: number;
  readonly duplicates: number;
  readonly missing: number;
  /** Records not covered by the group's committed offset once it closed (0 = all committed). */
  readonly uncommitted: number;
}

/** 0-5 ms, a fixed function of the offset (the same work in both modes). */
export function workMs(offset: bigint): number {
  const x = Math.sin(Number(offset) * 12.9898 + 78.233) * 43758.5453;
  return (x - Math.floor(x)) * 5;
}

interface Probe {
  handled: number;
  inFlight: number;
  maxConcurrent: number;
  orderViolations: number;
  duplicates: number;
  first: number;
  last: number;
  readonly lastOffsetOfKey: Map<string, bigint>;
  readonly seen: Set<bigint>;
}

function newProbe(): Probe {
  return { handled: 0, inFlight: 0, maxConcurrent: 0, orderViolations: 0, duplicates: 0, first: 0, last: 0, lastOffsetOfKey: new Map(), seen: new Set() };
}

function handlerFor(probe: Probe) {
  return async (_event: unknown, context: MessageContext): Promise<void> => {
    if (probe.handled === 0 && probe.inFlight === 0) probe.first = performance.now();
    probe.inFlight += 1;
    probe.maxConcurrent = Math.max(probe.maxConcurrent, probe.inFlight);
    const key = context.key ?? '';
    const previous = probe.lastOffsetOfKey.get(key);
    if (previous !== undefined && previous >= context.offset) probe.orderViolations += 1;
    probe.lastOffsetOfKey.set(key, context.offset);
    await delay(workMs(context.offset));
    if (probe.seen.has(context.offset)) probe.duplicates += 1;
    probe.seen.add(context.offset);
    probe.inFlight -= 1;
    probe.handled += 1;
    probe.last = performance.now();
  };
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await delay(10);
}

async function run(input: PerKeyInput): Promise<PerKeyResult> {
  const config = loadConfig({ KAFKA_BROKERS: input.brokers.join(','), KAFKA_TOPIC_PREFIX: input.prefix, KAFKA_REPLICATION_FACTOR: '1', LOG_LEVEL: 'warn' });
  const connection = connectionFrom(config.kafka, input.brokers);
  const log = createLogger(config.logLevel);
  const producer = new KafkaEventProducer(connection, 'bench-per-key');
  const options: ConsumerGroupOptions = { group: input.group, topics: ['pipeline.status'], log, deadLetters: kafkaDeadLetterSink(producer, input.prefix), concurrency: input.mode };
  const probe = newProbe();
  const group = new KafkaConsumerGroup(connection, options);
  const groupId = group.groupId;
  await group.consume(handlerFor(probe));
  await waitFor(() => probe.handled >= input.messages, input.timeoutMs);
  await group.close();
  await producer.close();
  const admin = kafkaAdmin(input.brokers);
  const lag = await groupLags(admin, new Map([[groupId, [`${input.prefix}pipeline.status`]]])).finally(() => admin.close());
  const durationMs = probe.last - probe.first;
  return {
    mode: input.mode, handled: probe.handled, durationMs,
    messagesPerSecond: probe.handled / (durationMs / 1000),
    maxConcurrent: probe.maxConcurrent, orderViolations: probe.orderViolations, duplicates: probe.duplicates,
    missing: input.messages - probe.seen.size, uncommitted: lag.get(groupId) ?? -1,
  };
}

helperMain(run);
