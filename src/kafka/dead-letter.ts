// Dead letters keep the record's key, value and headers and add where it came from and why it
// failed, so that an operator can inspect it and send it back once the cause is fixed
// (`gradeflow dlq`, src/cli/dlq.ts). A record that went through the retry topic is dead-lettered
// with its ORIGINAL topic, partition and offset (carried in its retry headers), not the retry
// topic's, so that redrive returns it where it came from.
import { TOPICS, topicName } from '../events/index.ts';
import { errorCode } from '../errors/index.ts';
import type { RecordValue } from './client-options.ts';
import type { KafkaMessage } from './consumer-group.ts';

/** Where a record was first read: its own coordinates, or those its retry headers carry. */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** Milliseconds since the epoch, as the broker stamped the original record. */
  readonly timestamp: bigint;
}

export type DeadLetterCause = 'permanent' | 'undecodable' | 'retries-exhausted';

export interface DeadLetterReason {
  readonly group: string;
  readonly error: unknown;
  /** Deliveries to the handler (each of which may have tried a few times in place). */
  readonly attempts: number;
  /** Default: the message's own coordinates. */
  readonly origin?: RecordOrigin;
  /** When the first delivery failed; default: now. */
  readonly firstFailedAt?: Date;
  readonly cause?: DeadLetterCause;
}

export interface DeadLetterSink {
  send(message: KafkaMessage, reason: DeadLetterReason): Promise<void>;
}

export interface RawRecord {
  topic: string;
  key: string | undefined;
  value: RecordValue | undefined;
  headers: Record<string, string>;
}

/** What KafkaEventProducer.sendRaw does: the record as it is, partitioned by key (murmur2). */
export interface RawSender {
  sendRaw(record: RawRecord): Promise<void>;
}

export const DLQ_HEADER_PREFIX = 'dlq-';

export const DLQ_HEADER = {
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  timestamp: 'dlq-original-timestamp',
  group: 'dlq-group',
  code: 'dlq-error-code',
  message: 'dlq-error-message',
  cause: 'dlq-cause',
  attempts: 'dlq-attempts',
  firstFailedAt: 'dlq-first-failed-at',
  lastFailedAt: 'dlq-last-failed-at',
  /** Same as lastFailedAt; kept for readers of the first header set. */
  failedAt: 'dlq-failed-at',
} as const;

/** Marker records of `gradeflow dlq redrive`, one per dead letter sent back, keyed by the dead
 * letter's `partition:offset:timestamp` (the timestamp guards against a recreated topic reusing
 * offsets). Compacted: the newest marker per key is kept for good, however old. */
export const REDRIVEN_TOPIC = {
  name: `${TOPICS.deadLetter.name}.redriven`,
  partitions: 1,
  retentionMs: 180 * 24 * 60 * 60 * 1000,
  description: 'Which dead letters were sent back to their topic (redrive bookkeeping)',
  compact: true,
} as const;

/** Header added to a record sent back from the dead-letter topic: `<dlq topic>:<partition>:<offset>`. */
export const REDRIVEN_FROM_HEADER = 'redriven-from';

/** Bookkeeping headers of earlier failures (retry-*, dlq-*): dropped whenever a record moves on. */
export function withoutFailureHeaders(headers: ReadonlyMap<string, string> | undefined, ...prefixes: string[]): Record<string, string> {
  const strip = [DLQ_HEADER_PREFIX, ...prefixes];
  const kept: Record<string, string> = {};
  for (const [name, value] of headers ?? []) if (!strip.some((prefix) => name.startsWith(prefix))) kept[name] = value;
  return kept;
}

export function messageOrigin(message: KafkaMessage): RecordOrigin {
  return { topic: message.topic, partition: message.partition, offset: message.offset, timestamp: message.timestamp };
}

export function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 2000);
}

export function deadLetterHeaders(message: KafkaMessage, reason: DeadLetterReason, now = new Date()): Record<string, string> {
  const origin = reason.origin ?? messageOrigin(message);
  return {
    ...withoutFailureHeaders(message.headers, 'retry-'),
    [DLQ_HEADER.topic]: origin.topic,
    [DLQ_HEADER.partition]: String(origin.partition),
    [DLQ_HEADER.offset]: String(origin.offset),
    [DLQ_HEADER.timestamp]: String(origin.timestamp),
    [DLQ_HEADER.group]: reason.group,
    [DLQ_HEADER.code]: errorCode(reason.error),
    [DLQ_HEADER.message]: errorMessage(reason.error),
    [DLQ_HEADER.cause]: reason.cause ?? 'permanent',
    [DLQ_HEADER.attempts]: String(reason.attempts),
    [DLQ_HEADER.firstFailedAt]: (reason.firstFailedAt ?? now).toISOString(),
    [DLQ_HEADER.lastFailedAt]: now.toISOString(),
    [DLQ_HEADER.failedAt]: now.toISOString(),
  };
}

export function deadLetterTopic(topicPrefix: string): string {
  return topicName(topicPrefix, TOPICS.deadLetter.name);
}

export function kafkaDeadLetterSink(sender: RawSender, topicPrefix: string): DeadLetterSink {
  const topic = deadLetterTopic(topicPrefix);
  return {
    send: (message, reason) =>
      sender.sendRaw({ topic, key: message.key ?? undefined, value: message.value ?? undefined, headers: deadLetterHeaders(message, reason) }),
  };
}

/** What `gradeflow dlq list` shows of a dead letter, read back from its headers. */
export interface DeadLetterSummary {
  readonly originalTopic: string;
  readonly originalPartition: number;
  readonly originalOffset: string;
  readonly group: string;
  readonly code: string;
  readonly message: string;
  readonly cause: string;
  readonly attempts: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
}

export function readDeadLetter(headers: ReadonlyMap<string, string>): DeadLetterSummary {
  const get = (name: string): string => headers.get(name) ?? '';
  const lastFailedAt = get(DLQ_HEADER.lastFailedAt) || get(DLQ_HEADER.failedAt);
  return {
    originalTopic: get(DLQ_HEADER.topic),
    originalPartition: Number(get(DLQ_HEADER.partition) || -1),
    originalOffset: get(DLQ_HEADER.offset),
    group: get(DLQ_HEADER.group),
    code: get(DLQ_HEADER.code),
    message: get(DLQ_HEADER.message),
    // Letters written before causes and first-failure times existed read as permanent, one failure.
    cause: get(DLQ_HEADER.cause) || 'permanent',
    attempts: Number(get(DLQ_HEADER.attempts) || 1),
    firstFailedAt: get(DLQ_HEADER.firstFailedAt) || lastFailedAt,
    lastFailedAt,
  };
}

/** The headers a redriven record carries: the original ones, no failure bookkeeping, and where it
 * was redriven from (so a second failure can be traced back to the first letter). */
export function redriveHeaders(headers: ReadonlyMap<string, string>, from: string): Record<string, string> {
  return { ...withoutFailureHeaders(headers, 'retry-'), [REDRIVEN_FROM_HEADER]: from };
}
