// Options shared by every client built from the seed's KafkaConfig.
import { stringDeserializers, stringSerializers } from '@platformatic/kafka';
import type { KafkaConfig } from '../config/index.ts';

export interface KafkaConnection {
  readonly bootstrapBrokers: readonly string[];
  readonly clientId: string;
  readonly topicPrefix: string;
  readonly compression: KafkaConfig['compression'];
  readonly requiredAcks: KafkaConfig['requiredAcks'];
  readonly replicationFactor: number;
}

export function connectionFrom(config: KafkaConfig, bootstrapBrokers: readonly string[]): KafkaConnection {
  return {
    bootstrapBrokers,
    clientId: config.clientId,
    topicPrefix: config.topicPrefix,
    compression: config.compression,
    requiredAcks: config.requiredAcks,
    replicationFactor: config.replicationFactor,
  };
}

/**
 * The client retries broker errors itself. Backing off exponentially (0.25 s doubling to 5 s,
 * about 20 s in all) rides out a leader election, a coordinator still loading, or a group
 * rebalancing while several members join at once.
 */
export const CLIENT_RETRIES = {
  retries: 8,
  retryDelay: (_client: unknown, _operation: string, attempt: number) => Math.min(5_000, 250 * 2 ** Math.max(0, attempt - 1)),
};

export function baseClientOptions(connection: KafkaConnection, role: string) {
  return {
    clientId: `${connection.clientId}-${role}`,
    bootstrapBrokers: [...connection.bootstrapBrokers],
    ...CLIENT_RETRIES,
    connectTimeout: 5_000,
    timeout: 15_000,
    // Topics are provisioned from the topic table; never let a typo create one.
    autocreateTopics: false,
  };
}

/** A record value as it travels: the producer takes text or bytes; consumers get the bytes
 * exactly as stored, so a record that is not UTF-8 reaches the dead-letter topic unchanged. */
export type RecordValue = string | Buffer;

const textOrBytes = (data?: RecordValue): Buffer | undefined =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.isBuffer(data) ? data : undefined;

export const recordSerializers = { ...stringSerializers, value: textOrBytes };

export const recordDeserializers = { ...stringDeserializers, value: (data?: Buffer): Buffer | undefined => data };
