// PROTOTYPE consumer for the per-key concurrency figure: the message path of KafkaConsumerGroup
// (poll -> decode/validate -> handler -> commit) with KeyScheduler instead of PartitionQueues.
// Retries and dead letters are left out: the bench handler never fails. Used only until
// KafkaConsumerGroup has `concurrency: 'key'`; the bench then measures the production code.
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import type { MessagesStream } from '@platformatic/kafka';
import { decodeEvent, topicName } from '../../src/events/index.ts';
import type { KafkaConnection, KafkaMessage, MessageHandler } from '../../src/kafka/index.ts';
import { baseClientOptions } from '../../src/kafka/index.ts';
import type { Logger } from '../../src/logging/index.ts';
import { KeyScheduler } from './key-scheduler.ts';

export class KeyConcurrentGroup {
  readonly #consumer: Consumer<string, string, string, string>;
  readonly #topics: string[];
  readonly #log: Logger;
  readonly #maxInFlight: number;
  readonly #maxConcurrency: number;
  #stream: MessagesStream<string, string, string, string> | null = null;
  #scheduler: KeyScheduler | null = null;
  readonly #commits = new Set<Promise<void>>();
  #closing = false;

  constructor(connection: KafkaConnection, options: { group: string; topics: readonly string[]; log: Logger; maxInFlight?: number; maxConcurrency?: number }) {
    this.#topics = options.topics.map((t) => topicName(connection.topicPrefix, t));
    this.#log = options.log;
    this.#maxInFlight = options.maxInFlight ?? 500;
    this.#maxConcurrency = options.maxConcurrency ?? 64;
    this.#consumer = new Consumer({
      ...baseClientOptions(connection, options.group),
      groupId: `${connection.topicPrefix}${options.group}`,
      deserializers: stringDeserializers,
      autocommit: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 30_000,
      maxWaitTime: 200,
    });
  }

  async consume(handler: MessageHandler): Promise<void> {
    const stream = await this.#consumer.consume({ topics: this.#topics, mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    this.#stream = stream;
    const scheduler = new KeyScheduler({ limit: this.#maxInFlight, maxConcurrency: this.#maxConcurrency, flow: { pause: () => stream.pause(), resume: () => stream.resume() } });
    this.#scheduler = scheduler;
    stream.on('data', (message: KafkaMessage) => {
      scheduler.push(`${message.topic}:${message.partition}`, message.key ?? null, message.offset, () => this.#handle(message, handler), () => this.#commit(message));
    });
    stream.on('error', (error: Error) => this.#log.error({ err: error }, 'consumer stream failed'));
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#stream?.pause();
    await this.#scheduler?.drain();
    await Promise.allSettled([...this.#commits]);
    if (this.#stream !== null) await this.#stream.close();
    await this.#consumer.close();
  }

  async #handle(message: KafkaMessage, handler: MessageHandler): Promise<boolean> {
    if (this.#closing) return false;
    const event = decodeEvent(message.value);
    const log = this.#log.child({ topic: message.topic, partition: message.partition, offset: String(message.offset) });
    await handler(event, { topic: message.topic, partition: message.partition, offset: message.offset, key: message.key ?? null, log: log.child({ eventId: event.id }) });
    return true;
  }

  #commit(message: KafkaMessage): void {
    const pending = Promise.resolve(message.commit())
      .catch((error: unknown) => this.#log.warn({ err: error }, 'offset commit failed'))
      .finally(() => this.#commits.delete(pending));
    this.#commits.add(pending);
  }
}
