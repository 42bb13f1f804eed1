// The seed's EventProducer over @platformatic/kafka. Safe settings are set explicitly because
// the client's defaults are not: idempotent producer with acks=all (the client defaults to
// acks=1 without idempotence), Java-compatible murmur2 partitioning so Java/Go services on the
// same topics agree, and the configured compression.
import { Producer, compatibilityPartitioner } from '@platformatic/kafka';
import type { EventDefinition, EventType, NewEvent } from '../events/index.ts';
import { EVENTS, createEnvelope, encodeEvent, topicName } from '../events/index.ts';
import type { EventProducer, GitLabEventInput, ProducedRecord, PublishOptions } from '../events/producer.ts';
import type { KafkaConnection } from './client-options.ts';
import { baseClientOptions, recordSerializers } from './client-options.ts';
import type { RecordValue } from './client-options.ts';
import type { Logger } from '../logging/index.ts';
import { toAppError } from './errors.ts';
import type { RawRecord } from './dead-letter.ts';
import { SendBatcher } from './send-batcher.ts';

export interface ProducerObserver {
  produced(topic: string, seconds: number, ok: boolean): void;
}

const noObserver: ProducerObserver = { produced: () => {} };

export class KafkaEventProducer implements EventProducer {
  readonly #producer: Producer<string, RecordValue, string, string>;
  readonly #connection: KafkaConnection;
  readonly #source: string;
  readonly #observer: ProducerObserver;
  readonly #batcher: SendBatcher;

  constructor(connection: KafkaConnection, source: string, observer: ProducerObserver = noObserver, log?: Logger) {
    this.#connection = connection;
    this.#source = source;
    this.#observer = observer;
    const acks = connection.requiredAcks;
    this.#producer = new Producer({
      ...baseClientOptions(connection, source),
      serializers: recordSerializers,
      // Idempotence needs acks=all; with acks 0/1 the operator chose speed over safety.
      idempotent: acks === -1,
      acks,
      compression: connection.compression,
      partitioner: compatibilityPartitioner,
    });
    // A background failure of the client is an 'error' event; unheard it would end the process.
    // Sends fail on their own promises, which is where callers learn of them.
    this.#producer.on('error', (error: Error) => {
      if (log === undefined) process.emitWarning(`Kafka producer ${source}: ${error.message}`);
      else log.error({ err: error }, 'producer error');
    });
    this.#batcher = new SendBatcher(this.#producer);
  }

  produceGitLabEvent(input: GitLabEventInput): Promise<ProducedRecord> {
    return input.type === 'gitlab.push'
      ? this.publish(EVENTS.gitlabPush, input.event)
      : this.publish(EVENTS.gitlabEvent, input.event);
  }

  producePipelineStatus(event: NewEvent<'pipeline.status'>): Promise<ProducedRecord> {
    return this.publish(EVENTS.pipelineStatus, event);
  }

  produceTestResult(event: NewEvent<'test.result'>): Promise<ProducedRecord> {
    return this.publish(EVENTS.testResult, event);
  }

  async publish<T extends EventType>(definition: EventDefinition<T>, event: NewEvent<T>, options: PublishOptions = {}): Promise<ProducedRecord> {
    const envelope = createEnvelope(definition, this.#source, event);
    const topic = topicName(this.#connection.topicPrefix, options.topic ?? definition.topic);
    const started = performance.now();
    try {
      const placement = await this.#batcher.send({
        topic,
        key: envelope.key,
        value: encodeEvent(envelope),
        headers: { 'event-id': envelope.id, 'event-type': envelope.type, 'event-version': String(envelope.version), 'content-type': 'application/json' },
      });
      this.#observer.produced(options.topic ?? definition.topic, (performance.now() - started) / 1000, true);
      return { topic, partition: placement.partition, offset: placement.offset, eventId: envelope.id };
    } catch (error) {
      this.#observer.produced(options.topic ?? definition.topic, (performance.now() - started) / 1000, false);
      throw toAppError(error, `producing ${definition.type} to ${topic}`);
    }
  }

  /** Sends an already encoded record as it is (dead letters, redrive). */
  async sendRaw(record: RawRecord): Promise<void> {
    try {
      await this.#batcher.send(record);
    } catch (error) {
      throw toAppError(error, `producing to ${record.topic}`);
    }
  }

  /** Asks the cluster for metadata: the readiness check of anything that produces. */
  async ping(): Promise<void> {
    try {
      await this.#producer.metadata({ topics: [], forceUpdate: true });
    } catch (error) {
      throw toAppError(error, 'asking for metadata');
    }
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}
