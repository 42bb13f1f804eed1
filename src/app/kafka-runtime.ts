// Finds or starts the Kafka cluster: the operator's own (KAFKA_BROKERS) as it is, otherwise
// the embedded broker from the official jars, with its log under the data directory.
import type { Config } from '../config/index.ts';
import type { Lifecycle } from '../lifecycle/index.ts';
import type { Logger } from '../logging/index.ts';

export async function kafkaBrokers(config: Config, lifecycle: Lifecycle, log: Logger): Promise<{ brokers: readonly string[]; embedded: boolean }> {
  if (config.kafka.brokers !== null) return { brokers: config.kafka.brokers, embedded: false };
  const { ensureKafkaJars, startLocalKafka, DEFAULT_PROJECT_ROOT } = await import('../kafka/local/index.ts');
  const kafkaLog = log.child({ component: 'embedded-kafka' });
  await ensureKafkaJars({ projectRoot: DEFAULT_PROJECT_ROOT, log: (line) => kafkaLog.info(line) });
  log.info({ port: config.kafka.embeddedPort }, 'starting the embedded Kafka broker (KAFKA_BROKERS is not set)');
  const kafka = await startLocalKafka({
    dataDir: config.dataDir,
    brokers: 1,
    port: config.kafka.embeddedPort,
    log: (line) => kafkaLog.debug(line),
  });
  lifecycle.add('embedded kafka', () => kafka.stop());
  return { brokers: kafka.bootstrapBrokers, embedded: true };
}

/** Workers run beside a `gradeflow start`; without KAFKA_BROKERS they join its embedded broker. */
export function workerBrokers(config: Config): readonly string[] {
  return config.kafka.brokers ?? [`127.0.0.1:${config.kafka.embeddedPort}`];
}
