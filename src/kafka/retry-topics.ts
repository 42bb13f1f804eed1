// Non-blocking retries. A record whose handler keeps failing transiently is copied to its group's
// retry topic `<prefix>retry.<group>` (same key, value and headers, plus retry-* headers: attempt,
// due time, original coordinates, first failure, last error) and its original offset is
// committed, so the records behind it go on at once. The group's retry lane reads the retry topic
// and hands each record to the same handler once it is due; after the policy's last attempt it
// goes to the dead-letter topic. The copy is written before the original offset is committed:
// a crash between the two leaves two copies in the retry topic, never none (handlers are
// idempotent, so the second is a no-op).
//
// Per-key order: while a record waits in the retry topic, later records of the same key are
// handled before it. That is acceptable here because every handler is idempotent and checks
// state before acting (a submission is recorded once per commit, a grade once per submission, a
// notification once per grade; an older status never overwrites a newer one), so handling an
// event late has the effect it would have had in order. Holding back every later record of a key
// instead would need shared per-key state across instances, and one bad key would stall a student.
import { topicName } from '../events/index.ts';
// Not re-exported by events/index.ts (owned elsewhere): imported from the table itself.
import { retryTopicSpecs } from '../events/topics.ts';
import { errorCode } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import type { KafkaMessage } from './consumer-group.ts';
import type { DeadLetterCause, DeadLetterSink, RawSender, RecordOrigin } from './dead-letter.ts';
import { errorMessage, messageOrigin, withoutFailureHeaders } from './dead-letter.ts';
import type { RetryPolicy } from './retry.ts';
import { backoffMs, retryTransient } from './retry.ts';

export const RETRY_HEADER_PREFIX = 'retry-';

export const RETRY_HEADER = {
  /** Deliveries that failed so far; the retry lane makes delivery attempt + 1. */
  attempt: 'retry-attempt',
  dueAt: 'retry-due-at',
  topic: 'retry-original-topic',
  partition: 'retry-original-partition',
  offset: 'retry-original-offset',
  timestamp: 'retry-original-timestamp',
  group: 'retry-group',
  firstFailedAt: 'retry-first-failed-at',
  lastCode: 'retry-last-error-code',
  lastMessage: 'retry-last-error-message',
} as const;

export function retryTopicName(topicPrefix: string, group: string): string {
  const [spec] = retryTopicSpecs([group]);
  if (spec === undefined) throw new Error('retryTopicSpecs returned nothing');
  return topicName(topicPrefix, spec.name);
}

/** The retry lane is its own Kafka group: the client's assignor gives every member every topic of
 * the group, so lanes with different subscriptions cannot share one group id. */
export function retryGroupId(topicPrefix: string, group: string): string {
  return `${topicPrefix}${group}.retry`;
}

/** Where a delivery stands: the original record, which delivery this is, when it is due. */
export interface DeliveryState {
  readonly origin: RecordOrigin;
  /** 1 for the first delivery (from the original topic). */
  readonly attempt: number;
  readonly firstFailedAt: Date | null;
  /** Milliseconds since the epoch; 0 when due at once. */
  readonly dueAt: number;
}

export function firstDelivery(message: KafkaMessage): DeliveryState {
  return { origin: messageOrigin(message), attempt: 1, firstFailedAt: null, dueAt: 0 };
}

/** Reads a retry record's state. Tolerant: a hand-made record without (valid) retry headers is
 * handled at once as a second delivery of itself, never stuck. */
export function readRetryState(message: KafkaMessage): DeliveryState {
  const get = (name: string): string | undefined => message.headers?.get(name);
  const failed = Number(get(RETRY_HEADER.attempt));
  const due = Date.parse(get(RETRY_HEADER.dueAt) ?? '');
  const first = Date.parse(get(RETRY_HEADER.firstFailedAt) ?? '');
  const topic = get(RETRY_HEADER.topic);
  const partition = Number(get(RETRY_HEADER.partition));
  const offset = parseBigInt(get(RETRY_HEADER.offset));
  const origin = topic !== undefined && Number.isInteger(partition) && offset !== null
    ? { topic, partition, offset, timestamp: parseBigInt(get(RETRY_HEADER.timestamp)) ?? message.timestamp }
    : messageOrigin(message);
  return {
    origin,
    attempt: (Number.isInteger(failed) && failed >= 1 ? failed : 1) + 1,
    firstFailedAt: Number.isNaN(first) ? null : new Date(first),
    dueAt: Number.isNaN(due) ? 0 : due,
  };
}

function parseBigInt(text: string | undefined): bigint | null {
  return text !== undefined && /^-?\d+$/.test(text) ? BigInt(text) : null;
}

export function retryHeaders(message: KafkaMessage, state: DeliveryState, group: string, error: unknown, dueAt: Date, now = new Date()): Record<string, string> {
  return {
    ...withoutFailureHeaders(message.headers, RETRY_HEADER_PREFIX),
    [RETRY_HEADER.attempt]: String(state.attempt),
    [RETRY_HEADER.dueAt]: dueAt.toISOString(),
    [RETRY_HEADER.topic]: state.origin.topic,
    [RETRY_HEADER.partition]: String(state.origin.partition),
    [RETRY_HEADER.offset]: String(state.origin.offset),
    [RETRY_HEADER.timestamp]: String(state.origin.timestamp),
    [RETRY_HEADER.group]: group,
    [RETRY_HEADER.firstFailedAt]: (state.firstFailedAt ?? now).toISOString(),
    [RETRY_HEADER.lastCode]: errorCode(error),
    [RETRY_HEADER.lastMessage]: errorMessage(error),
  };
}

export type FailureOutcome = 'retry-scheduled' | 'dead-lettered' | 'abandoned';

export interface FailureRouterOptions {
  readonly group: string;
  readonly retryTopic: string;
  readonly sender: RawSender;
  readonly deadLetters: DeadLetterSink;
  readonly policy: RetryPolicy;
}

/** Decides where a failed delivery goes next and puts it there. Sends are retried until they
 * succeed or the signal aborts: giving up would lose the record (then it is not committed and the
 * next owner of the partition handles it again). */
export class FailureRouter {
  readonly #options: FailureRouterOptions;

  constructor(options: FailureRouterOptions) {
    this.#options = options;
  }

  /** A transient failure: to the retry topic, or to the dead-letter topic once attempts are used up. */
  async transient(message: KafkaMessage, state: DeliveryState, error: unknown, signal: AbortSignal, log: Logger): Promise<FailureOutcome> {
    const { policy, retryTopic, group, sender } = this.#options;
    if (state.attempt >= policy.maxAttempts) return this.deadLetter(message, state, error, 'retries-exhausted', signal, log);
    const now = new Date();
    const dueAt = new Date(now.getTime() + backoffMs(policy, state.attempt));
    const record = { topic: retryTopic, key: message.key ?? undefined, value: message.value ?? undefined, headers: retryHeaders(message, state, group, error, dueAt, now) };
    log.warn({ err: error, attempt: state.attempt, dueAt: dueAt.toISOString() }, 'handler keeps failing; retrying later from the retry topic');
    return (await this.#send(() => sender.sendRaw(record), signal, log)) ? 'retry-scheduled' : 'abandoned';
  }

  async deadLetter(message: KafkaMessage, state: DeliveryState, error: unknown, cause: DeadLetterCause, signal: AbortSignal, log: Logger): Promise<'dead-lettered' | 'abandoned'> {
    const { group, deadLetters } = this.#options;
    const reason = { group, error, attempts: state.attempt, origin: state.origin, cause, ...(state.firstFailedAt === null ? {} : { firstFailedAt: state.firstFailedAt }) };
    log.error({ err: error, code: errorCode(error), cause, attempts: state.attempt }, 'record cannot be processed; sending it to the dead-letter topic');
    return (await this.#send(() => deadLetters.send(message, reason), signal, log)) ? 'dead-lettered' : 'abandoned';
  }

  async #send(send: () => Promise<void>, signal: AbortSignal, log: Logger): Promise<boolean> {
    const result = await retryTransient(send, {
      isRetryable: () => true,
      signal,
      initialDelayMs: 200,
      maxDelayMs: 5_000,
      onRetry: (error, attempt) => log.warn({ err: error, attempt }, 'cannot write to the retry or dead-letter topic; retrying'),
    });
    return !result.stopped && result.error === undefined;
  }
}
