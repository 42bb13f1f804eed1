// Builds the configuration of one test: the test broker, a unique topic prefix (so tests never
// see each other's records), single-replica topics, and whatever the test adds.
import { loadConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/index.ts';
import { connectionFrom } from '../../src/kafka/index.ts';
import type { KafkaConnection } from '../../src/kafka/index.ts';
import { testBrokers, uniqueName } from './kafka.ts';

export interface TestEnv {
  readonly env: Record<string, string>;
  readonly config: Config;
  readonly connection: KafkaConnection;
  readonly prefix: string;
}

export function testEnv(extra: Record<string, string> = {}): TestEnv {
  const prefix = `${uniqueName('t')}.`;
  const env = {
    KAFKA_BROKERS: testBrokers().join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_REPLICATION_FACTOR: '1',
    LOG_LEVEL: 'warn',
    ...extra,
  };
  const config = loadConfig(env);
  return { env, config, connection: connectionFrom(config.kafka, config.kafka.brokers ?? []), prefix };
}
