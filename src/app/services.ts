// Building blocks the composition roots (start, gateway, worker) assemble: each opens one
// adapter, registers how to stop it, and returns it.
import type { Config } from '../config/index.ts';
import type { Course } from '../courses/index.ts';
import { loadCourses } from '../courses/index.ts';
import type { Database } from '../db/index.ts';
import { migrate, openDatabase } from '../db/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import { KafkaConsumerGroup, KafkaEventProducer, connectionFrom, kafkaDeadLetterSink, provisionTopics } from '../kafka/index.ts';
import type { Lifecycle } from '../lifecycle/index.ts';
import type { Logger } from '../logging/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { GroupName } from '../pipeline/index.ts';
import { GROUPS } from '../pipeline/index.ts';
import { consumerObserver, producerObserver } from './observers.ts';

export interface Kit {
  readonly config: Config;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;
}

export async function courses(kit: Kit): Promise<readonly Course[]> {
  const loaded = await loadCourses({ dir: kit.config.coursesDir, env: kit.env });
  for (const warning of loaded.warnings) kit.log.warn(warning);
  return loaded.courses;
}

export async function kafka(kit: Kit, brokers: readonly string[]): Promise<KafkaConnection> {
  const connection = connectionFrom(kit.config.kafka, brokers);
  const report = await provisionTopics(connection);
  for (const warning of report.warnings) kit.log.warn(warning);
  if (report.created.length > 0) kit.log.info({ topics: report.created }, 'topics created');
  return connection;
}

export async function database(kit: Kit): Promise<Database> {
  const db = await openDatabase({
    url: kit.config.database.url,
    dataDir: kit.config.dataDir,
    onBackgroundError: (error) => kit.log.warn({ err: error }, 'database connection error'),
  });
  kit.lifecycle.add('database', () => db.close());
  const result = await migrate(db);
  if (result.applied.length > 0) kit.log.info({ applied: result.applied }, 'database migrated');
  return db;
}

export function producer(kit: Kit, connection: KafkaConnection, source: string): KafkaEventProducer {
  const created = new KafkaEventProducer(connection, source, producerObserver(kit.metrics, connection.topicPrefix));
  kit.lifecycle.add(`${source} producer`, () => created.close());
  return created;
}

/** Starts `instances` members of a group (default: the seed's count) in this process. */
export async function consumerGroup(kit: Kit, connection: KafkaConnection, name: GroupName, deps: { db: Database; producer: KafkaEventProducer }, instances?: number): Promise<void> {
  const definition = GROUPS[name];
  const count = instances ?? definition.instances;
  for (let index = 0; index < count; index += 1) {
    const log = kit.log.child({ group: name, member: index });
    const group = new KafkaConsumerGroup(connection, {
      group: name,
      topics: definition.topics,
      log,
      deadLetters: kafkaDeadLetterSink(deps.producer, connection.topicPrefix),
      observer: consumerObserver(kit.metrics),
    });
    await group.consume(definition.handler({ db: deps.db, publisher: deps.producer, metrics: kit.metrics }));
    kit.lifecycle.add(`${name}#${index}`, () => group.close());
  }
}
