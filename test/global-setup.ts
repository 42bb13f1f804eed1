/**
 * Global setup of `node --test --test-global-setup=test/global-setup.ts` (Node 24).
 *
 * If KAFKA_BROKERS is set, the tests use that cluster and nothing is started. Otherwise one
 * real local Kafka broker (src/kafka/local) is started on free loopback ports in a fresh
 * temporary directory, and process.env.KAFKA_BROKERS is set to its bootstrap list: the test
 * files, run as child processes of the runner, inherit it (see test/support/kafka.ts).
 * Teardown stops the broker and removes the directory. Should the runner die without
 * teardown, the broker JVM gets SIGTERM from the kernel (setpriv --pdeathsig).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_PROJECT_ROOT, ensureKafkaJars, startLocalKafka } from '../src/kafka/local/index.ts';
import type { LocalKafka } from '../src/kafka/local/index.ts';

let kafka: LocalKafka | undefined;
let dataDir: string | undefined;

const log = (line: string): void => {
  process.stderr.write(`[global-setup] ${line}\n`);
};

export async function globalSetup(): Promise<void> {
  if (process.env.KAFKA_BROKERS !== undefined && process.env.KAFKA_BROKERS.trim() !== '') {
    log(`using KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`);
    return;
  }
  await ensureKafkaJars({ projectRoot: DEFAULT_PROJECT_ROOT, log });
  dataDir = await mkdtemp(path.join(tmpdir(), 'gradeflow-test-kafka-'));
  const started = Date.now();
  try {
    kafka = await startLocalKafka({ dataDir, brokers: 1 });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
    throw error;
  }
  process.env.KAFKA_BROKERS = kafka.bootstrapBrokers.join(',');
  log(`local Kafka broker ${process.env.KAFKA_BROKERS} started in ${Date.now() - started} ms (data: ${dataDir})`);
}

export async function globalTeardown(): Promise<void> {
  try {
    await kafka?.stop();
  } finally {
    kafka = undefined;
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  }
}
