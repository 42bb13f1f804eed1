// Kafka adapters: the seed's EventProducer and ConsumerGroup over @platformatic/kafka, topic
// provisioning from the topic table, dead letters, and (in ./local) the embedded broker.
export { KafkaEventProducer } from './producer.ts';
export type { ProducerObserver } from './producer.ts';
export { KafkaConsumerGroup } from './consumer-group.ts';
export type { ConsumerGroup, ConsumerGroupOptions, ConsumerObserver, MessageContext, MessageHandler, KafkaMessage } from './consumer-group.ts';
export { provisionTopics } from './provision.ts';
export type { ProvisionReport } from './provision.ts';
export { kafkaDeadLetterSink, deadLetterHeaders, DLQ_HEADER } from './dead-letter.ts';
export type { DeadLetterSink } from './dead-letter.ts';
export { connectionFrom, baseClientOptions } from './client-options.ts';
export type { KafkaConnection } from './client-options.ts';
export { toAppError } from './errors.ts';
