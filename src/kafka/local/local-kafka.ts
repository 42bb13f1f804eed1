// Runs a real Apache Kafka (KRaft) cluster of 1 or 3 local nodes from the official jars, without
// Docker. Every node is broker and controller, listens on 127.0.0.1 only, and keeps its data
// under <dataDir>/kafka/node-<id>: stopping and starting again with the same dataDir keeps every
// topic and record (storage is formatted once; the cluster id is kept in cluster.json).
//
//   const kafka = await startLocalKafka({ dataDir: '.tmp/kafka-dev' });
//   … kafka.bootstrapBrokers …
//   await kafka.stop();
//
// No JVM outlives the Node process: see jvm.ts (setpriv --pdeathsig, 'exit' handler).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  log4jConfig,
  nodeLayout,
  serverSettings,
  toProperties,
  type ClusterSize,
  type ConfigValue,
  type NodeAddress,
  type NodeLayout,
} from './broker-config.ts';
import { DEFAULT_PROJECT_ROOT, ensureKafkaJars } from './fetch-jars.ts';
import { Jvm } from './jvm.ts';
import { LOOPBACK, assertPortFree, findFreePorts } from './ports.ts';
import { waitForNode } from './readiness.ts';
import { formatIfNeeded, loadOrCreateClusterState } from './storage.ts';

export interface LocalKafkaOptions {
  /** Broker data and logs live under <dataDir>/kafka/node-<id>. */
  readonly dataDir: string;
  readonly brokers?: ClusterSize;
  /** Client port of node 1 (node n uses port + n - 1). 0 or undefined: free loopback ports. */
  readonly port?: number;
  /** JVM max heap per node, in MiB (default 512). */
  readonly heapMb?: number;
  /** Where kafka/pom.xml and .cache/ are (default: this checkout). */
  readonly projectRoot?: string;
  readonly log?: (line: string) => void;
  /** How long all nodes may take to answer (default 120 s). */
  readonly startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 30 s). */
  readonly stopTimeoutMs?: number;
  /** Extra server.properties settings, applied last (e.g. shorter session timeouts in tests). */
  readonly overrides?: Readonly<Record<string, ConfigValue>>;
}

export interface LocalKafkaNode {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  /** Pid of the node's JVM; changes when startNode() restarts it. */
  readonly pid: number;
}

export interface LocalKafka {
  /** "127.0.0.1:<port>" of every node. */
  readonly bootstrapBrokers: string[];
  readonly nodes: LocalKafkaNode[];
  /** SIGTERM every node, SIGKILL after stopTimeoutMs; resolves when no JVM is left. */
  stop(): Promise<void>;
  /** Signals one node (default SIGKILL) and waits until its process has exited. */
  killNode(nodeId: number, signal?: NodeJS.Signals): Promise<void>;
  /** Restarts a stopped or killed node with the same config; resolves when it answers again. */
  startNode(nodeId: number): Promise<void>;
}

interface NodeRuntime {
  readonly address: NodeAddress;
  readonly layout: NodeLayout;
  jvm: Jvm | undefined;
}

interface Settings {
  readonly libDir: string;
  readonly heapMb: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly log: (line: string) => void;
}

const addressOf = (node: NodeAddress): string => `${LOOPBACK}:${node.port}`;

function validate(options: LocalKafkaOptions): void {
  if (options.brokers !== undefined && options.brokers !== 1 && options.brokers !== 3) {
    throw new Error(`brokers must be 1 or 3, got ${String(options.brokers)}`);
  }
  const { port, heapMb } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535 - 2)) {
    throw new Error(`port must be an integer between 0 and 65533, got ${port}`);
  }
  if (heapMb !== undefined && (!Number.isInteger(heapMb) || heapMb < 128)) {
    throw new Error(`heapMb must be an integer of at least 128, got ${heapMb}`);
  }
}

/** Client ports (requested and checked, or free) and free controller ports for `count` nodes. */
async function allocatePorts(count: number, port: number | undefined): Promise<NodeAddress[]> {
  let clientPorts: number[];
  let controllerPorts: number[];
  if (port === undefined || port === 0) {
    const free = await findFreePorts(count * 2);
    clientPorts = free.slice(0, count);
    controllerPorts = free.slice(count);
  } else {
    clientPorts = Array.from({ length: count }, (_, i) => port + i);
    for (const clientPort of clientPorts) await assertPortFree(clientPort);
    controllerPorts = (await findFreePorts(count * 2)).filter((p) => !clientPorts.includes(p)).slice(0, count);
  }
  return clientPorts.map((clientPort, i) => ({ nodeId: i + 1, port: clientPort, controllerPort: controllerPorts[i] ?? 0 }));
}

async function writeNodeFiles(
  node: NodeAddress,
  voters: readonly NodeAddress[],
  layout: NodeLayout,
  overrides: Readonly<Record<string, ConfigValue>>,
): Promise<void> {
  await mkdir(layout.logDir, { recursive: true });
  await writeFile(layout.propertiesFile, toProperties(serverSettings(node, voters, layout.logDir, overrides)));
  await writeFile(layout.log4jFile, log4jConfig(layout.serverLog));
}

/** Starts a local Kafka cluster and resolves once every node answers Metadata listing all nodes. */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  validate(options);
  const log = options.log ?? (() => {});
  const size: ClusterSize = options.brokers ?? 1;
  const { libDir } = await ensureKafkaJars({ projectRoot: options.projectRoot ?? DEFAULT_PROJECT_ROOT, log });
  const kafkaDir = path.join(path.resolve(options.dataDir), 'kafka');
  const addresses = await allocatePorts(size, options.port);
  const nodes: NodeRuntime[] = addresses.map((address) => ({
    address,
    layout: nodeLayout(kafkaDir, address.nodeId),
    jvm: undefined,
  }));
  const { clusterId } = await loadOrCreateClusterState(kafkaDir, size, nodeLayout(kafkaDir, 1));
  await Promise.all(
    nodes.map(async (node) => {
      await writeNodeFiles(node.address, addresses, node.layout, options.overrides ?? {});
      if (await formatIfNeeded(libDir, clusterId, node.layout)) log(`kafka: formatted ${node.layout.logDir}`);
    }),
  );
  const cluster = new LocalKafkaCluster(nodes, {
    libDir,
    heapMb: options.heapMb ?? 512,
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 30_000,
    log,
  });
  await cluster.startAll();
  return cluster;
}

class LocalKafkaCluster implements LocalKafka {
  readonly bootstrapBrokers: string[];
  #nodes: NodeRuntime[];
  #settings: Settings;

  constructor(nodes: NodeRuntime[], settings: Settings) {
    this.#nodes = nodes;
    this.#settings = settings;
    this.bootstrapBrokers = nodes.map((node) => addressOf(node.address));
  }

  get nodes(): LocalKafkaNode[] {
    return this.#nodes.map(({ address, jvm }) => ({ ...address, pid: jvm?.pid ?? -1 }));
  }

  #node(nodeId: number): NodeRuntime {
    const node = this.#nodes.find((candidate) => candidate.address.nodeId === nodeId);
    if (node === undefined) throw new Error(`no Kafka node ${nodeId} (nodes: 1..${this.#nodes.length})`);
    return node;
  }

  #spawn(node: NodeRuntime): Jvm {
    const { layout } = node;
    const jvm = new Jvm({
      libDir: this.#settings.libDir,
      mainClass: 'kafka.Kafka',
      args: [layout.propertiesFile],
      heapMb: this.#settings.heapMb,
      cwd: layout.nodeDir,
      systemProperties: { 'log4j2.configurationFile': layout.log4jFile, 'kafka.logs.dir': layout.nodeDir },
      log: this.#settings.log,
    });
    node.jvm = jvm;
    return jvm;
  }

  async #waitReady(node: NodeRuntime, jvm: Jvm, expectedBrokers: number, started: number): Promise<void> {
    await waitForNode({
      nodeId: node.address.nodeId,
      address: addressOf(node.address),
      jvm,
      expectedBrokers,
      deadline: started + this.#settings.startTimeoutMs,
      serverLog: node.layout.serverLog,
    });
    const { nodeId, port } = node.address;
    this.#settings.log(`kafka: node ${nodeId} (pid ${jvm.pid}) ready on ${LOOPBACK}:${port} in ${Date.now() - started} ms`);
  }

  async startAll(): Promise<void> {
    const started = Date.now();
    const jvms = this.#nodes.map((node) => this.#spawn(node));
    try {
      await Promise.all(this.#nodes.map((node, i) => this.#waitReady(node, jvms[i] as Jvm, this.#nodes.length, started)));
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async startNode(nodeId: number): Promise<void> {
    const node = this.#node(nodeId);
    if (node.jvm?.running === true) return;
    const started = Date.now();
    const jvm = this.#spawn(node);
    const running = this.#nodes.filter((candidate) => candidate.jvm?.running === true).length;
    try {
      await this.#waitReady(node, jvm, running, started);
    } catch (error) {
      await jvm.stop(this.#settings.stopTimeoutMs);
      throw error;
    }
  }

  async killNode(nodeId: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const jvm = this.#node(nodeId).jvm;
    if (jvm === undefined) return;
    await jvm.kill(signal);
    this.#settings.log(`kafka: node ${nodeId} (pid ${jvm.pid}) stopped by ${signal}`);
  }

  async stop(): Promise<void> {
    const started = Date.now();
    const running = this.#nodes.filter((node) => node.jvm?.running === true);
    await Promise.all(running.map((node) => node.jvm?.stop(this.#settings.stopTimeoutMs)));
    if (running.length > 0) this.#settings.log(`kafka: ${running.length} node(s) stopped in ${Date.now() - started} ms`);
  }
}
