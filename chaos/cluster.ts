// The 3-node Kafka cluster (replication 3, min.insync.replicas 2, no unclean leader election:
// startLocalKafka({ brokers: 3 }) sets that up) and what the faults need from it: who leads a
// partition, whether every replica is back in sync, killing and restarting nodes.
import { Admin } from '@platformatic/kafka';
import type { ClusterMetadata } from '@platformatic/kafka';
import { ALL_TOPICS, TOPICS, topicName } from '../src/events/topics.ts';
import { startLocalKafka } from '../src/kafka/local/index.ts';
import type { LocalKafka } from '../src/kafka/local/index.ts';
import { waitFor } from '../test/support/wait.ts';

export interface Cluster {
  readonly kafka: LocalKafka;
  readonly brokers: string[];
  readonly prefix: string;
  /** Every topic of the topic table under the run's prefix. (The client leaves internal topics
   * such as __consumer_offsets out of its metadata answers, so their ISR cannot be watched here.) */
  readonly topics: string[];
}

export async function startCluster(dataDir: string, prefix: string, log: (line: string) => void): Promise<Cluster> {
  // 384 MiB heap per node (default 512): three JVMs share the machine with the rest of the run.
  const kafka = await startLocalKafka({ dataDir, brokers: 3, heapMb: 384, log });
  const topics = ALL_TOPICS.map((spec) => topicName(prefix, spec.name));
  return { kafka, brokers: kafka.bootstrapBrokers, prefix, topics };
}

/** One Metadata request with a fresh client: a node that was just killed must not stall it. */
export async function metadata(cluster: Cluster, topics: readonly string[]): Promise<ClusterMetadata> {
  const admin = new Admin({
    clientId: 'gradeflow-chaos', bootstrapBrokers: [...cluster.brokers], retries: 1, connectTimeout: 2_000, timeout: 5_000, requestTimeout: 5_000,
  });
  try {
    return await admin.metadata({ topics: [...topics], forceUpdate: true });
  } finally {
    await admin.close().catch(() => {});
  }
}

/** The node that leads `partition` of `topic` (a full topic name), as the cluster says now. */
export async function leaderOf(cluster: Cluster, topic: string, partition: number): Promise<number> {
  const md = await metadata(cluster, [topic]);
  const leader = md.topics.get(topic)?.partitions[partition]?.leader;
  if (leader === undefined || leader < 0) throw new Error(`${topic}-${partition} has no leader`);
  return leader;
}

/** Waits until `topic`-`partition` is led by a node other than `old` (the controller fenced it). */
export async function waitNewLeader(cluster: Cluster, topic: string, partition: number, old: number, timeoutMs: number): Promise<number> {
  return waitFor(`a new leader of ${topic}-${partition}`, async () => {
    const leader = await leaderOf(cluster, topic, partition);
    return leader !== old && leader;
  }, { timeoutMs, intervalMs: 250 });
}

/** Partitions (of every topic of the run) whose ISR is smaller than their replica set. */
export async function underReplicated(cluster: Cluster): Promise<number> {
  const md = await metadata(cluster, cluster.topics);
  let count = 0;
  for (const name of cluster.topics) {
    const topic = md.topics.get(name);
    if (topic === undefined) throw new Error(`no metadata for topic ${name}`);
    for (const partition of topic.partitions) if (partition.leader < 0 || partition.isr.length < partition.replicas.length) count += 1;
  }
  return count;
}

export async function waitIsrFull(cluster: Cluster, timeoutMs: number): Promise<void> {
  let last = -1;
  await waitFor('every replica back in sync', async () => {
    last = await underReplicated(cluster);
    return last === 0;
  }, { timeoutMs, intervalMs: 500 }).catch((error: Error) => {
    throw new Error(`${error.message} (${last} partitions still under-replicated)`);
  });
}

/** Starts every node that is not running, all at once: a lone node has no controller quorum. */
export async function startStoppedNodes(cluster: Cluster): Promise<void> {
  await Promise.all(cluster.kafka.nodes.map((node) => cluster.kafka.startNode(node.nodeId)));
}

/** Kills every node at once (the JVMs' page cache survives, as after a power-cut of the processes only). */
export async function killAllNodes(cluster: Cluster, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.all(cluster.kafka.nodes.map((node) => cluster.kafka.killNode(node.nodeId, signal)));
}

/** Records on the dead-letter topic so far (sum of its partitions' end offsets). */
export async function deadLetterCount(cluster: Cluster): Promise<number> {
  const name = topicName(cluster.prefix, TOPICS.deadLetter.name);
  const admin = new Admin({ clientId: 'gradeflow-chaos', bootstrapBrokers: [...cluster.brokers], retries: 2, timeout: 5_000 });
  try {
    const partitions = Array.from({ length: TOPICS.deadLetter.partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n }));
    const listed = await admin.listOffsets({ topics: [{ name, partitions }] });
    return listed.flatMap((topic) => topic.partitions).reduce((sum, partition) => sum + Number(partition.offset), 0);
  } finally {
    await admin.close().catch(() => {});
  }
}
