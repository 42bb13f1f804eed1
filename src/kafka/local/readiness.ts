// Waits until a started Kafka node really answers: a Metadata request through
// @platformatic/kafka, polled with a deadline, until the node sees itself and the whole cluster
// as live brokers. A JVM that exits meanwhile ends the wait at once, with its output tail.
import { setTimeout as delay } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import type { ClusterMetadata } from '@platformatic/kafka';
import { describeExit, type Jvm } from './jvm.ts';

export interface WaitForNodeOptions {
  readonly nodeId: number;
  readonly address: string;
  readonly jvm: Jvm;
  /** How many live brokers the node's metadata must list. */
  readonly expectedBrokers: number;
  /** Epoch milliseconds after which to give up. */
  readonly deadline: number;
  readonly serverLog: string;
}

const POLL_INTERVAL_MS = 200;

/** One Metadata request against `address` only (a fresh client, no retries, short timeouts). */
export async function fetchMetadata(address: string, timeoutMs = 3000): Promise<ClusterMetadata> {
  const admin = new Admin({
    clientId: 'gradeflow-local-kafka-probe',
    bootstrapBrokers: [address],
    retries: 0,
    connectTimeout: Math.min(timeoutMs, 2000),
    requestTimeout: timeoutMs,
    timeout: timeoutMs,
  });
  try {
    return await admin.metadata({ topics: [], forceUpdate: true });
  } finally {
    await admin.close().catch(() => {});
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nested = (error as { errors?: unknown }).errors;
  const inner = Array.isArray(nested) && nested.length > 0 ? `: ${describeError(nested[nested.length - 1])}` : '';
  return `${error.message}${inner}`;
}

export class NodeExitedError extends Error {
  constructor(nodeId: number, jvm: Jvm, serverLog: string, during: string) {
    const exit = jvm.exitInfo;
    const how = exit === undefined ? 'exited' : describeExit(exit);
    const tail = jvm.outputTail();
    super(
      `Kafka node ${nodeId} (pid ${jvm.pid}) ${how} ${during}; broker log: ${serverLog}` +
        (tail === '' ? ' (the JVM printed nothing)' : `\n--- JVM output (tail) ---\n${tail}`),
    );
    this.name = 'NodeExitedError';
  }
}

/** Resolves once the node answers Metadata listing itself and `expectedBrokers` live brokers. */
export async function waitForNode(options: WaitForNodeOptions): Promise<void> {
  const { nodeId, jvm } = options;
  let lastProblem = 'no answer yet';
  for (;;) {
    if (!jvm.running) throw new NodeExitedError(nodeId, jvm, options.serverLog, 'during startup');
    try {
      const metadata = await fetchMetadata(options.address);
      const live = [...metadata.brokers.keys()].sort((a, b) => a - b);
      if (metadata.brokers.has(nodeId) && live.length >= options.expectedBrokers) return;
      lastProblem = `metadata lists live brokers [${live.join(', ')}], waiting for ${options.expectedBrokers}`;
    } catch (error) {
      lastProblem = describeError(error);
    }
    if (Date.now() >= options.deadline) {
      const tail = jvm.outputTail();
      throw new Error(
        `Kafka node ${nodeId} at ${options.address} was not ready in time (${lastProblem}); ` +
          `broker log: ${options.serverLog}${tail === '' ? '' : `\n--- JVM output (tail) ---\n${tail}`}`,
      );
    }
    // Poll interval, cut short if the JVM exits meanwhile.
    await Promise.race([delay(POLL_INTERVAL_MS), jvm.exited]);
  }
}
