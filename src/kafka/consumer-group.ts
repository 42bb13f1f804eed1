// The seed's ConsumerGroup over @platformatic/kafka, with the seed's message path:
// poll -> deserialize -> schema validation -> handler (business logic + saving its effects)
// -> commit offset -> next. Records of one partition are handled one after another (so one
// key's events stay in order); partitions are handled concurrently. The client's unsafe
// defaults are overridden: no autocommit (offsets only after the effect is saved) and, for a
// group without committed offsets, start from the earliest record instead of the latest.
//
// Failures never stop a consumer. An undecodable record or a permanent error goes to the
// dead-letter topic at once. A transient error is retried in place a few times within about a
// second; if it persists the record moves to the group's retry topic and its offset is committed,
// so the partition goes on (retry-topics.ts). The group's second lane reads the retry topic and
// gives each record to the same handler when it is due; a record waiting there holds up only the
// retry partition it sits in, never the group's topics (a lane of its own, with its own
// back-pressure). After the policy's last attempt the record is dead-lettered.
import type { Message } from '@platformatic/kafka';
import type { Logger } from '../logging/index.ts';
import { lazyLogger } from '../logging/index.ts';
import type { AnyEnvelope } from '../events/index.ts';
import { decodeEvent, topicName } from '../events/index.ts';
import { errorCode, isRetryable } from '../errors/index.ts';
import type { KafkaConnection } from './client-options.ts';
import { ConsumerLane } from './consumer-lane.ts';
import type { Concurrency } from './consumer-lane.ts';
import type { DeadLetterCause, DeadLetterSink, RawSender } from './dead-letter.ts';
import { KafkaEventProducer } from './producer.ts';
import { provisionTopics } from './provision.ts';
import type { RetryPolicy } from './retry.ts';
import { retryPolicy, retryTransient, sleep } from './retry.ts';
import type { DeliveryState } from './retry-topics.ts';
import { FailureRouter, firstDelivery, readRetryState, retryGroupId, retryTopicName } from './retry-topics.ts';

export type KafkaMessage = Message<string, Buffer, string, string>;

export interface MessageContext {
  /** The original record's coordinates, also when it is delivered again from the retry topic. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly log: Logger;
  /** 1 for the first delivery; higher when the record comes back from the retry topic. */
  readonly attempt?: number;
  /** Aborted when the partition is revoked or the consumer stops: long work may give up early
   * (its record is then not committed and is handled again by the next owner). */
  readonly signal?: AbortSignal;
}

export type MessageHandler = (event: AnyEnvelope, context: MessageContext) => Promise<void>;

/** The seed's ConsumerGroup: consume(handler), commit, close. */
export interface ConsumerGroup {
  /** Joins the group and starts handling records; resolves once fetching has started. */
  consume(handler: MessageHandler): Promise<void>;
  /** Waits until the offsets of every handled record are committed. */
  commit(): Promise<void>;
  /** Stops fetching, finishes in-flight records, commits them and leaves the group. */
  close(): Promise<void>;
}

export type ProcessOutcome = 'ok' | 'retried' | 'retry-scheduled' | 'dead-lettered';

export interface ConsumerObserver {
  processed(group: string, topic: string, outcome: ProcessOutcome, seconds: number): void;
  deadLettered(group: string, topic: string, code: string): void;
  lag(group: string, topic: string, partition: number, lag: number): void;
}

export interface ConsumerGroupOptions {
  readonly group: string;
  /** Logical topic names from the topic table. */
  readonly topics: readonly string[];
  readonly log: Logger;
  readonly deadLetters: DeadLetterSink;
  readonly observer?: ConsumerObserver;
  /** Static membership (GRADEFLOW_INSTANCE_ID): unique per member, stable across restarts. */
  readonly instanceId?: string;
  /** Records fetched but not yet handled, across partitions, before fetching pauses. */
  readonly maxInFlight?: number;
  /**
   * `key` (default): records of one key in order, different keys of a partition concurrently;
   * `partition`: one record of a partition at a time.
   */
  readonly concurrency?: Concurrency;
  readonly sessionTimeoutMs?: number;
  readonly lagIntervalMs?: number;
  /** Overrides of the default policy: 8 attempts, backoff 1 s doubling to 5 min, 3 tries in place. */
  readonly retry?: Partial<RetryPolicy>;
  /** Writes retry records (a KafkaEventProducer); default: a producer of the group's own. */
  readonly sender?: RawSender;
  /** How long close() waits for running handlers before leaving their records uncommitted. */
  readonly shutdownGraceMs?: number;
}

type Outcome = ProcessOutcome | 'abandoned';

export class KafkaConsumerGroup implements ConsumerGroup {
  readonly #options: ConsumerGroupOptions;
  readonly #connection: KafkaConnection;
  readonly #policy: RetryPolicy;
  readonly #main: ConsumerLane;
  readonly #retry: ConsumerLane;
  readonly #ownProducer: KafkaEventProducer | null;
  readonly #router: FailureRouter;
  #started = false;
  #closing: Promise<void> | null = null;

  constructor(connection: KafkaConnection, options: ConsumerGroupOptions) {
    this.#options = options;
    this.#connection = connection;
    this.#policy = retryPolicy(options.retry);
    const prefix = connection.topicPrefix;
    const lane = {
      connection,
      log: options.log,
      maxInFlight: options.maxInFlight ?? 500,
      concurrency: options.concurrency ?? 'key',
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      lagIntervalMs: options.lagIntervalMs ?? 5_000,
      onLag: this.#onLag(),
      // The lanes are two groups, so one instance id serves both.
      ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
    };
    this.#main = new ConsumerLane({ ...lane, role: options.group, groupId: `${prefix}${options.group}`, topics: options.topics.map((topic) => topicName(prefix, topic)) });
    // Retries waiting for their due time sit in memory; a smaller window keeps that bounded.
    this.#retry = new ConsumerLane({ ...lane, role: `${options.group}.retry`, groupId: retryGroupId(prefix, options.group), topics: [retryTopicName(prefix, options.group)], maxInFlight: Math.min(lane.maxInFlight, 100) });
    this.#ownProducer = options.sender === undefined ? new KafkaEventProducer(connection, `${options.group}-retry`) : null;
    this.#router = new FailureRouter({
      group: options.group,
      retryTopic: retryTopicName(prefix, options.group),
      sender: options.sender ?? (this.#ownProducer as KafkaEventProducer),
      deadLetters: options.deadLetters,
      policy: this.#policy,
    });
  }

  get groupId(): string {
    return `${this.#connection.topicPrefix}${this.#options.group}`;
  }

  async consume(handler: MessageHandler): Promise<void> {
    if (this.#started) throw new Error(`consumer group ${this.#options.group} is already consuming`);
    this.#started = true;
    // The group's own retry topic, so that a group not listed at start-up still has one.
    await provisionTopics(this.#connection, [], { groups: [this.#options.group] });
    await Promise.all([
      this.#main.start((message, signal) => this.#deliver(message, firstDelivery(message), handler, signal)),
      this.#retry.start((message, signal) => this.#deliver(message, readRetryState(message), handler, signal)),
    ]);
  }

  async commit(): Promise<void> {
    await Promise.all([this.#main.commit(), this.#retry.commit()]);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const grace = this.#options.shutdownGraceMs ?? 30_000;
    await Promise.all([this.#main.close(grace), this.#retry.close(grace)]);
    await this.#ownProducer?.close();
  }

  /** Resolves true when the record is decided and its offset may be committed. */
  async #deliver(message: KafkaMessage, state: DeliveryState, handler: MessageHandler, signal: AbortSignal): Promise<boolean> {
    // A child logger costs more than a no-op handler (bindings serialised and redacted): made
    // only when something is logged.
    const log = lazyLogger(() => this.#options.log.child({ topic: state.origin.topic, partition: state.origin.partition, offset: String(state.origin.offset), attempt: state.attempt }));
    // A retry waits for its due time here; only its retry partition waits with it.
    if (state.dueAt > Date.now() && !(await sleep(state.dueAt - Date.now(), signal))) return false;
    const started = performance.now();
    const outcome = await this.#process(message, state, handler, signal, log);
    if (outcome === 'abandoned') return false;
    this.#options.observer?.processed(this.#options.group, this.#logical(state.origin.topic), outcome, (performance.now() - started) / 1000);
    return true;
  }

  async #process(message: KafkaMessage, state: DeliveryState, handler: MessageHandler, signal: AbortSignal, log: Logger): Promise<Outcome> {
    let event: AnyEnvelope;
    try {
      event = decodeEvent(message.value);
    } catch (error) {
      return this.#deadLetter(message, state, error, 'undecodable', signal, log);
    }
    const { origin, attempt } = state;
    const context: MessageContext = { topic: origin.topic, partition: origin.partition, offset: origin.offset, key: message.key ?? null, log: lazyLogger(() => log.child({ eventId: event.id })), attempt, signal };
    const result = await retryTransient(() => handler(event, context), {
      isRetryable,
      signal,
      maxAttempts: this.#policy.inPlaceTries,
      initialDelayMs: this.#policy.inPlaceDelayMs,
      maxDelayMs: this.#policy.inPlaceDelayMs * 4,
      onRetry: (error, tryNumber, delayMs) => log.warn({ err: error, try: tryNumber, delayMs, eventId: event.id }, 'handler failed, trying again in place'),
    });
    if (result.stopped) return 'abandoned';
    if (result.error === undefined) return attempt > 1 || result.attempts > 1 ? 'retried' : 'ok';
    if (!isRetryable(result.error)) return this.#deadLetter(message, state, result.error, 'permanent', signal, log);
    const routed = await this.#router.transient(message, state, result.error, signal, log);
    if (routed === 'dead-lettered') this.#options.observer?.deadLettered(this.#options.group, this.#logical(origin.topic), errorCode(result.error));
    return routed;
  }

  async #deadLetter(message: KafkaMessage, state: DeliveryState, error: unknown, cause: DeadLetterCause, signal: AbortSignal, log: Logger): Promise<Outcome> {
    const outcome = await this.#router.deadLetter(message, state, error, cause, signal, log);
    if (outcome === 'dead-lettered') this.#options.observer?.deadLettered(this.#options.group, this.#logical(state.origin.topic), errorCode(error));
    return outcome;
  }

  #onLag(): ((topic: string, partition: number, lag: number) => void) | undefined {
    const observer = this.#options.observer;
    if (observer === undefined) return undefined;
    return (topic, partition, lag) => observer.lag(this.#options.group, this.#logical(topic), partition, lag);
  }

  #logical(topic: string): string {
    return topic.startsWith(this.#connection.topicPrefix) ? topic.slice(this.#connection.topicPrefix.length) : topic;
  }
}
