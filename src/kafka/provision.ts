// Creates the topics of the topic table that do not exist yet. Safe to run from every process
// at start: a topic another instance created in the meantime is fine. A topic that exists with
// fewer partitions than declared is reported, not changed: adding partitions moves keys to
// other partitions and breaks per-student ordering, so that is an operator's decision.
import { Admin } from '@platformatic/kafka';
import type { TopicSpec } from '../events/index.ts';
import { ALL_TOPICS, topicName } from '../events/index.ts';
import type { KafkaConnection } from './client-options.ts';
import { baseClientOptions } from './client-options.ts';
import { toAppError } from './errors.ts';

export interface ProvisionReport {
  readonly created: string[];
  readonly existing: string[];
  readonly warnings: string[];
}

export async function provisionTopics(connection: KafkaConnection, topics: readonly TopicSpec[] = ALL_TOPICS): Promise<ProvisionReport> {
  const admin = new Admin(baseClientOptions(connection, 'admin'));
  try {
    const names = topics.map((spec) => topicName(connection.topicPrefix, spec.name));
    const existingNames = new Set(await admin.listTopics());
    const report: ProvisionReport = { created: [], existing: [], warnings: [] };
    for (const [index, spec] of topics.entries()) {
      const name = names[index] as string;
      if (existingNames.has(name)) report.existing.push(name);
      else await createTopic(admin, connection, spec, name, report);
    }
    await checkPartitions(admin, topics, names, report);
    return report;
  } catch (error) {
    throw toAppError(error, 'provisioning topics');
  } finally {
    await admin.close();
  }
}

async function createTopic(admin: Admin, connection: KafkaConnection, spec: TopicSpec, name: string, report: ProvisionReport): Promise<void> {
  const configs = [{ name: 'retention.ms', value: String(spec.retentionMs) }];
  // With 3 replicas, a write acknowledged by acks=all is on at least 2 brokers.
  if (connection.replicationFactor >= 3) configs.push({ name: 'min.insync.replicas', value: '2' });
  try {
    await admin.createTopics({ topics: [name], partitions: spec.partitions, replicas: connection.replicationFactor, configs });
    report.created.push(name);
  } catch (error) {
    if (!String((error as Error).message).includes('TOPIC_ALREADY_EXISTS') && !hasAlreadyExists(error)) throw error;
    report.existing.push(name);
  }
}

function hasAlreadyExists(error: unknown): boolean {
  const nested = (error as { errors?: unknown[] }).errors ?? [];
  return nested.some((inner) => JSON.stringify(inner ?? {}).includes('TOPIC_ALREADY_EXISTS') || String((inner as Error)?.message).includes('already exists'));
}

async function checkPartitions(admin: Admin, topics: readonly TopicSpec[], names: string[], report: ProvisionReport): Promise<void> {
  // A copy: the client sorts the list it is given in place.
  const metadata = await admin.metadata({ topics: [...names] });
  for (const [index, spec] of topics.entries()) {
    const name = names[index] as string;
    const actual = metadata.topics.get(name)?.partitionsCount;
    if (actual !== undefined && actual < spec.partitions) {
      report.warnings.push(`topic ${name} has ${actual} partitions, ${spec.partitions} declared; per-key order is kept, but fewer consumers can work in parallel (add partitions only when the topic is drained)`);
    }
  }
}
