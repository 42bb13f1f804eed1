// Real brokers, real processes: a single node (persistence across restarts, port clash, parent
// killed) and a three-node cluster (replication, failover, restart of a node).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, it, type TestContext } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { uniqueName } from '../../../test/support/kafka.ts';
import { startLocalKafka, type LocalKafka } from './local-kafka.ts';
import { fetchMetadata } from './readiness.ts';
import { pidAlive, produceStrings, readStrings, waitFor } from './testing.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'child-broker.ts');

async function tempDataDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gradeflow-local-kafka-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Stops the cluster when the test ends, even if an assertion failed half-way. */
function stopAfter(t: TestContext, kafka: LocalKafka): LocalKafka {
  t.after(() => kafka.stop());
  return kafka;
}

async function withAdmin<T>(brokers: readonly string[], use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: 'local-kafka-test-admin', bootstrapBrokers: [...brokers] });
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

function assertNoJvmAlive(pids: readonly number[]): void {
  for (const pid of pids) assert.equal(pidAlive(pid), false, `JVM pid ${pid} is still alive`);
}

describe('startLocalKafka with one broker', () => {
  it('serves metadata, produce and fetch, and keeps topics and records across a restart', { timeout: 180_000 }, async (t) => {
    const dataDir = await tempDataDir(t);
    const first = stopAfter(t, await startLocalKafka({ dataDir }));
    const [address] = first.bootstrapBrokers;
    assert.ok(address !== undefined && /^127\.0\.0\.1:\d+$/.test(address), `bootstrap ${address}`);
    const firstPids = first.nodes.map((node) => node.pid);
    assert.equal(firstPids.length, 1);
    assert.ok(firstPids.every(pidAlive));

    const metadata = await fetchMetadata(address);
    assert.deepEqual([...metadata.brokers.keys()], [1]);
    assert.equal(`${metadata.brokers.get(1)?.host}:${metadata.brokers.get(1)?.port}`, address);

    const topic = uniqueName('local-kafka-persist');
    await withAdmin(first.bootstrapBrokers, (admin) => admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 }));
    await produceStrings({ brokers: first.bootstrapBrokers, topic, records: [{ key: 'k1', value: 'v1' }] });
    const read = await readStrings({ brokers: first.bootstrapBrokers, topic, groupId: uniqueName('g'), count: 1 });
    assert.deepEqual(read, [{ key: 'k1', value: 'v1', offset: 0n }]);

    await first.stop();
    assertNoJvmAlive(firstPids);
    await t.test('the broker logged to <dataDir>/kafka/node-1/server.log', async () => {
      const serverLog = await readFile(path.join(dataDir, 'kafka', 'node-1', 'server.log'), 'utf8');
      assert.match(serverLog, /Kafka Server started/);
    });

    const second = stopAfter(t, await startLocalKafka({ dataDir }));
    const restarted = await fetchMetadata(second.bootstrapBrokers[0] ?? '');
    assert.equal(restarted.id, metadata.id, 'the same cluster id: storage was not reformatted');
    const topics = await withAdmin(second.bootstrapBrokers, (admin) => admin.listTopics());
    assert.ok(topics.includes(topic), `${topic} missing after restart: ${topics.join(', ')}`);
    const reread = await readStrings({ brokers: second.bootstrapBrokers, topic, groupId: uniqueName('g'), count: 1 });
    assert.deepEqual(reread, [{ key: 'k1', value: 'v1', offset: 0n }]);

    const secondPids = second.nodes.map((node) => node.pid);
    await second.stop();
    assertNoJvmAlive(secondPids);
  });

  it('refuses a requested port that is already in use, naming it', { timeout: 60_000 }, async (t) => {
    const dataDir = await tempDataDir(t);
    const blocker = net.createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as net.AddressInfo;

    await assert.rejects(startLocalKafka({ dataDir, port }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KAFKA_PORT_IN_USE');
      assert.match(error.message, new RegExp(`port ${port} `));
      assert.match(error.message, /KAFKA_BROKERS/);
      return true;
    });
    assert.deepEqual(await readdir(dataDir), [], 'nothing was written or started');
  });

  it('leaves no JVM behind when its parent process is SIGKILLed', { timeout: 120_000 }, async (t) => {
    const dataDir = await tempDataDir(t);
    const child = spawn(process.execPath, [FIXTURE, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const exited = once(child, 'exit');
    const firstLine = await Promise.race([
      once(lines, 'line').then(([line]) => String(line)),
      exited.then(([code]) => Promise.reject(new Error(`fixture exited (${String(code)}) before printing: ${stderr}`))),
    ]);
    const { pids } = JSON.parse(firstLine) as { pids: number[] };
    t.after(() => pids.filter(pidAlive).forEach((pid) => process.kill(pid, 'SIGKILL')));
    assert.equal(pids.length, 1);
    assert.ok(pids.every(pidAlive), 'the JVM runs while its parent lives');

    child.kill('SIGKILL');
    await exited;
    await waitFor(() => pids.every((pid) => !pidAlive(pid)), { what: `JVM ${pids.join(',')} to exit`, timeoutMs: 60_000 });
  });
});

type PartitionState = NonNullable<Awaited<ReturnType<typeof partitionState>>>;

async function partitionState(brokers: readonly string[], topic: string) {
  const meta = await withAdmin(brokers, (admin) => admin.metadata({ topics: [topic], forceUpdate: true }));
  return meta.topics.get(topic)?.partitions[0];
}

/** Polls partition 0 of the topic (through `brokers`) until `accept` holds. */
function waitForPartition(brokers: readonly string[], topic: string, what: string, accept: (p: PartitionState) => boolean) {
  return waitFor(async () => {
    const partition = await partitionState(brokers, topic);
    return partition !== undefined && accept(partition) && partition;
  }, { what, timeoutMs: 90_000 });
}

describe('startLocalKafka with three brokers', () => {
  it('replicates, survives the loss of the leader and takes the node back', { timeout: 300_000 }, async (t) => {
    const dataDir = await tempDataDir(t);
    const kafka = stopAfter(t, await startLocalKafka({ dataDir, brokers: 3, heapMb: 384 }));
    assert.equal(new Set(kafka.nodes.map((node) => node.port)).size, 3);
    const metadata = await fetchMetadata(kafka.bootstrapBrokers[0] ?? '');
    assert.deepEqual([...metadata.brokers.keys()].sort(), [1, 2, 3]);

    const topic = uniqueName('local-kafka-rf3');
    await withAdmin(kafka.bootstrapBrokers, (admin) => admin.createTopics({ topics: [topic], partitions: 1, replicas: 3 }));
    const initial = await waitForPartition(kafka.bootstrapBrokers, topic, 'a leader and 3 in-sync replicas', (p) => p.leader > 0 && p.isr.length === 3);
    assert.deepEqual([...initial.replicas].sort(), [1, 2, 3]);

    const leader = initial.leader;
    const leaderPid = kafka.nodes.find((node) => node.nodeId === leader)?.pid ?? -1;
    await kafka.killNode(leader);
    assert.equal(pidAlive(leaderPid), false);
    const survivors = kafka.nodes.filter((node) => node.nodeId !== leader).map((node) => `127.0.0.1:${node.port}`);
    const failedOver = await waitForPartition(survivors, topic, `a new leader after killing node ${leader}`, (p) => p.leader > 0 && p.leader !== leader);
    assert.equal(failedOver.isr.length, 2);
    // acks=-1 with min.insync.replicas=2: accepted by the two remaining replicas.
    const result = await produceStrings({ brokers: survivors, topic, acks: -1, records: [{ key: 'k', value: 'after-failover' }] });
    assert.deepEqual(result.offsets?.map((o) => [o.topic, o.partition, o.offset]), [[topic, 0, 0n]]);

    await kafka.startNode(leader);
    assert.ok(pidAlive(kafka.nodes.find((node) => node.nodeId === leader)?.pid ?? -1));
    await waitForPartition(kafka.bootstrapBrokers, topic, `node ${leader} back in sync`, (p) => p.isr.length === 3);

    const pids = kafka.nodes.map((node) => node.pid);
    await kafka.stop();
    assertNoJvmAlive(pids);
  });
});
