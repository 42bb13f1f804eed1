// The seed's ConsumerGroup over @platformatic/kafka, with the seed's message path:
// poll -> deserialize -> schema validation -> handler (business logic + saving its effects)
// -> commit offset -> next. Records of one partition are handled one after another (so one
// key's events stay in order); partitions are handled concurrently. The client's unsafe
// defaults are overridden: no autocommit (offsets only after the effect is saved) and, for a
// group without committed offsets, start from the earliest record instead of the latest.
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import type { Message, MessagesStream } from '@platformatic/kafka';
import type { Logger } from '../logging/index.ts';
import type { AnyEnvelope } from '../events/index.ts';
import { decodeEvent, topicName } from '../events/index.ts';
import { errorCode, isRetryable } from '../errors/index.ts';
import type { KafkaConnection } from './client-options.ts';
import { baseClientOptions } from './client-options.ts';
import type { DeadLetterSink } from './dead-letter.ts';
import { PartitionQueues } from './partition-queues.ts';
import { retryTransient } from './retry.ts';

export type KafkaMessage = Message<string, string, string, string>;

export interface MessageContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly log: Logger;
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

export interface ConsumerObserver {
  processed(group: string, topic: string, outcome: 'ok' | 'retried' | 'dead-lettered', seconds: number): void;
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
  /** Static membership: a restarted instance takes its partitions back without a rebalance. */
  readonly instanceId?: string;
  /** Records fetched but not yet handled, across partitions, before fetching pauses. */
  readonly maxInFlight?: number;
  readonly sessionTimeoutMs?: number;
  readonly lagIntervalMs?: number;
}

export class KafkaConsumerGroup implements ConsumerGroup {
  readonly #options: ConsumerGroupOptions;
  readonly #connection: KafkaConnection;
  readonly #consumer: Consumer<string, string, string, string>;
  readonly #topics: string[];
  #stream: MessagesStream<string, string, string, string> | null = null;
  #queues: PartitionQueues | null = null;
  #pendingCommits = new Set<Promise<void>>();
  #closing = false;

  constructor(connection: KafkaConnection, options: ConsumerGroupOptions) {
    this.#options = options;
    this.#connection = connection;
    this.#topics = options.topics.map((topic) => topicName(connection.topicPrefix, topic));
    this.#consumer = new Consumer({
      ...baseClientOptions(connection, options.group),
      groupId: `${connection.topicPrefix}${options.group}`,
      ...(options.instanceId === undefined ? {} : { groupInstanceId: options.instanceId }),
      deserializers: stringDeserializers,
      autocommit: false,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 30_000,
      maxWaitTime: 200,
    });
  }

  get groupId(): string {
    return `${this.#connection.topicPrefix}${this.#options.group}`;
  }

  async consume(handler: MessageHandler): Promise<void> {
    if (this.#stream !== null) throw new Error(`consumer group ${this.#options.group} is already consuming`);
    const stream = await this.#consumer.consume({
      topics: this.#topics,
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    });
    this.#stream = stream;
    this.#queues = new PartitionQueues(this.#options.maxInFlight ?? 500, {
      pause: () => stream.pause(),
      resume: () => stream.resume(),
    });
    stream.on('data', (message: KafkaMessage) => this.#queues?.push(`${message.topic}:${message.partition}`, () => this.#handle(message, handler)));
    stream.on('error', (error: Error) => this.#options.log.error({ err: error }, 'consumer stream failed'));
    this.#startLagMonitoring();
  }

  async commit(): Promise<void> {
    await Promise.allSettled([...this.#pendingCommits]);
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#consumer.stopLagMonitoring();
    this.#stream?.pause();
    await this.#queues?.drain();
    await this.commit();
    if (this.#stream !== null) await this.#stream.close();
    await this.#consumer.close();
  }

  async #handle(message: KafkaMessage, handler: MessageHandler): Promise<void> {
    if (this.#closing) return; // not handled, not committed: the next owner gets it
    const { group } = this.#options;
    const log = this.#options.log.child({ topic: message.topic, partition: message.partition, offset: String(message.offset) });
    const started = performance.now();
    const outcome = await this.#process(message, handler, log);
    if (outcome === 'abandoned') return;
    this.#options.observer?.processed(group, this.#logical(message.topic), outcome, (performance.now() - started) / 1000);
    this.#commitMessage(message, log);
  }

  async #process(message: KafkaMessage, handler: MessageHandler, log: Logger): Promise<'ok' | 'retried' | 'dead-lettered' | 'abandoned'> {
    let event: AnyEnvelope;
    try {
      event = decodeEvent(message.value);
    } catch (error) {
      await this.#deadLetter(message, error, 1, log);
      return 'dead-lettered';
    }
    const context: MessageContext = { topic: message.topic, partition: message.partition, offset: message.offset, key: message.key ?? null, log: log.child({ eventId: event.id }) };
    const result = await retryTransient(() => handler(event, context), {
      isRetryable,
      shouldStop: () => this.#closing,
      onRetry: (error, attempt, delayMs) => log.warn({ err: error, attempt, delayMs, eventId: event.id }, 'handler failed, retrying'),
    });
    if (result.stopped) return 'abandoned';
    if (result.error !== undefined) {
      await this.#deadLetter(message, result.error, result.attempts, log);
      return 'dead-lettered';
    }
    return result.attempts > 1 ? 'retried' : 'ok';
  }

  async #deadLetter(message: KafkaMessage, error: unknown, attempts: number, log: Logger): Promise<void> {
    const code = errorCode(error);
    log.error({ err: error, code }, 'record cannot be processed; sending it to the dead-letter topic');
    await retryTransient(() => this.#options.deadLetters.send(message, { group: this.#options.group, error, attempts }), {
      isRetryable: () => true,
      shouldStop: () => this.#closing,
      onRetry: (sendError, attempt) => log.warn({ err: sendError, attempt }, 'dead-letter topic unavailable, retrying'),
    });
    this.#options.observer?.deadLettered(this.#options.group, this.#logical(message.topic), code);
  }

  #commitMessage(message: KafkaMessage, log: Logger): void {
    const pending = Promise.resolve(message.commit())
      .catch((error: unknown) => log.warn({ err: error }, 'offset commit failed; the record may be delivered again (handlers are idempotent)'))
      .finally(() => this.#pendingCommits.delete(pending));
    this.#pendingCommits.add(pending);
  }

  #startLagMonitoring(): void {
    const observer = this.#options.observer;
    if (observer === undefined) return;
    this.#consumer.on('consumer:lag', (lag) => {
      for (const [topic, partitions] of lag) {
        partitions.forEach((value, partition) => observer.lag(this.#options.group, this.#logical(topic), partition, Math.max(0, Number(value))));
      }
    });
    this.#consumer.on('consumer:lag:error', (error) => this.#options.log.debug({ err: error }, 'lag measurement failed'));
    this.#consumer.startLagMonitoring({ topics: this.#topics }, this.#options.lagIntervalMs ?? 5_000);
  }

  #logical(topic: string): string {
    return topic.startsWith(this.#connection.topicPrefix) ? topic.slice(this.#connection.topicPrefix.length) : topic;
  }
}
