// Creates the topics of the topic table that do not exist yet. Safe to run from every process
// at start: a topic another instance created in the meantime is fine. A topic that exists with
// fewer partitions than declared is reported, not changed: adding partitions moves keys to
// other partitions and breaks per-student ordering, so that is an operator's decision.
// With `groups`, each group's retry topic (`retry.<group>`, derived in the topic table) is
// provisioned too.
import { setTimeout as delay } from 'node:timers/promises';
import { Admin, findErrorBy } from '@platformatic/kafka';
import type { TopicSpec } from '../events/index.ts';
import { ALL_TOPICS, topicName } from '../events/index.ts';
import { retryTopicSpecs } from '../events/topics.ts';
import type { KafkaConnection } from './client-options.ts';
import { baseClientOptions } from './client-options.ts';
import { toAppError } from './errors.ts';

export interface ProvisionReport {
  readonly created: string[];
  readonly existing: string[];
  readonly warnings: string[];
}

/** A topic spec that may ask for log compaction (keeps the newest record per key, forever). */
export type ProvisionSpec = TopicSpec & { readonly compact?: boolean };

export interface ProvisionOptions {
  /** Consumer groups whose retry topics are provisioned along with `topics`. */
  readonly groups?: readonly string[];
}

export async function provisionTopics(connection: KafkaConnection, declared: readonly ProvisionSpec[] = ALL_TOPICS, options: ProvisionOptions = {}): Promise<ProvisionReport> {
  const topics = [...declared, ...retryTopicSpecs(options.groups ?? [])];
  const admin = new Admin(baseClientOptions(connection, 'admin'));
  try {
    const names = topics.map((spec) => topicName(connection.topicPrefix, spec.name));
    const existingNames = new Set(await admin.listTopics());
    const report: ProvisionReport = { created: [], existing: [], warnings: [] };
    // Created at once: each creation waits for the controller, one after another adds up.
    await Promise.all(topics.map(async (spec, index) => {
      const name = names[index] as string;
      if (existingNames.has(name)) report.existing.push(name);
      else await createTopic(admin, connection, spec, name, report);
    }));
    await checkPartitions(admin, topics, names, report);
    return report;
  } catch (error) {
    throw toAppError(error, 'provisioning topics');
  } finally {
    await admin.close();
  }
}

async function createTopic(admin: Admin, connection: KafkaConnection, spec: ProvisionSpec, name: string, report: ProvisionReport): Promise<void> {
  const configs = [{ name: 'retention.ms', value: String(spec.retentionMs) }];
  if (spec.compact === true) configs.push({ name: 'cleanup.policy', value: 'compact' });
  // With 3 replicas, a write acknowledged by acks=all is on at least 2 brokers.
  if (connection.replicationFactor >= 3) configs.push({ name: 'min.insync.replicas', value: '2' });
  try {
    await admin.createTopics({ topics: [name], partitions: spec.partitions, replicas: connection.replicationFactor, configs });
    report.created.push(name);
  } catch (error) {
    // Another instance starting at the same time created it first: that is the goal anyway.
    if (findErrorBy(error as Error, 'apiId', 'TOPIC_ALREADY_EXISTS') === null) throw error;
    report.existing.push(name);
  }
}

async function checkPartitions(admin: Admin, topics: readonly TopicSpec[], names: string[], report: ProvisionReport): Promise<void> {
  const metadata = await metadataOnceKnown(admin, names);
  for (const [index, spec] of topics.entries()) {
    const name = names[index] as string;
    const actual = metadata.topics.get(name)?.partitionsCount;
    if (actual !== undefined && actual < spec.partitions) {
      report.warnings.push(`topic ${name} has ${actual} partitions, ${spec.partitions} declared; per-key order is kept, but fewer consumers can work in parallel (add partitions only when the topic is drained)`);
    }
  }
}

/** A topic another instance has just created can be unknown to this broker for a moment. */
async function metadataOnceKnown(admin: Admin, names: string[]) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      // A copy: the client sorts the list it is given in place.
      return await admin.metadata({ topics: [...names], forceUpdate: true });
    } catch (error) {
      if (attempt >= 50 || !isUnknownTopic(error)) throw error;
      await delay(100);
    }
  }
}

function isUnknownTopic(error: unknown): boolean {
  // The client reports the broker's UNKNOWN_TOPIC_OR_PARTITION as a UserError "Unknown topic <name>."
  return findErrorBy(error as Error, 'apiId', 'UNKNOWN_TOPIC_OR_PARTITION') !== null || /^Unknown topic /.test((error as Error).message);
}
