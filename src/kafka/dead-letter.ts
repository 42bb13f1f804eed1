// Dead letters keep the record's key, value and headers and add where it came from and why it
// failed, so that an operator can inspect it and send it back once the cause is fixed.
import { TOPICS, topicName } from '../events/index.ts';
import { errorCode } from '../errors/index.ts';
import type { KafkaMessage } from './consumer-group.ts';

export interface DeadLetterReason {
  readonly group: string;
  readonly error: unknown;
  readonly attempts: number;
}

export interface DeadLetterSink {
  send(message: KafkaMessage, reason: DeadLetterReason): Promise<void>;
}

export interface RawSender {
  sendRaw(record: { topic: string; key: string | undefined; value: string | undefined; headers: Record<string, string> }): Promise<void>;
}

export const DLQ_HEADER = {
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  timestamp: 'dlq-original-timestamp',
  group: 'dlq-group',
  code: 'dlq-error-code',
  message: 'dlq-error-message',
  attempts: 'dlq-attempts',
  failedAt: 'dlq-failed-at',
} as const;

export function deadLetterHeaders(message: KafkaMessage, reason: DeadLetterReason, now = new Date()): Record<string, string> {
  const original = Object.fromEntries(message.headers ?? new Map<string, string>());
  const errorMessage = reason.error instanceof Error ? reason.error.message : String(reason.error);
  return {
    ...original,
    [DLQ_HEADER.topic]: message.topic,
    [DLQ_HEADER.partition]: String(message.partition),
    [DLQ_HEADER.offset]: String(message.offset),
    [DLQ_HEADER.timestamp]: String(message.timestamp),
    [DLQ_HEADER.group]: reason.group,
    [DLQ_HEADER.code]: errorCode(reason.error),
    [DLQ_HEADER.message]: errorMessage.slice(0, 2000),
    [DLQ_HEADER.attempts]: String(reason.attempts),
    [DLQ_HEADER.failedAt]: now.toISOString(),
  };
}

export function kafkaDeadLetterSink(sender: RawSender, topicPrefix: string): DeadLetterSink {
  const topic = topicName(topicPrefix, TOPICS.deadLetter.name);
  return {
    send: (message, reason) =>
      sender.sendRaw({ topic, key: message.key ?? undefined, value: message.value ?? undefined, headers: deadLetterHeaders(message, reason) }),
  };
}
