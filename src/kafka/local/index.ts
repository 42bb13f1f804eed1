// A real Apache Kafka (KRaft) from the official jars, without Docker: see local-kafka.ts.
export { DEFAULT_PROJECT_ROOT, ensureKafkaJars, readKafkaVersion } from './fetch-jars.ts';
export type { EnsureKafkaJarsOptions, KafkaJars } from './fetch-jars.ts';
export { startLocalKafka } from './local-kafka.ts';
export type { LocalKafka, LocalKafkaNode, LocalKafkaOptions } from './local-kafka.ts';
