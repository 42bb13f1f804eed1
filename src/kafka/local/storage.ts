// Persistent cluster identity and KRaft storage formatting. The cluster id and size live in
// <dataDir>/kafka/cluster.json; a node's log dir is formatted (kafka.tools.StorageTool) only
// when it holds no meta.properties yet, so restarting keeps every topic and record.
import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterSize, NodeLayout } from './broker-config.ts';
import { runCommand, tailLines } from './run-command.ts';

export interface ClusterState {
  readonly clusterId: string;
  readonly brokers: ClusterSize;
}

const STATE_FILE = 'cluster.json';

/** A Kafka Uuid as `kafka-storage random-uuid` prints it: 16 random bytes, base64url, no padding. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export function isFormatted(layout: NodeLayout): Promise<boolean> {
  return exists(path.join(layout.logDir, 'meta.properties'));
}

async function clusterIdFromMeta(layout: NodeLayout): Promise<string | undefined> {
  try {
    const meta = await readFile(path.join(layout.logDir, 'meta.properties'), 'utf8');
    return /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

/**
 * Reads the cluster id of this data dir, or creates (and saves) one. A data dir holds one
 * cluster: asking for a different number of brokers than it was created with is an error.
 */
export async function loadOrCreateClusterState(
  kafkaDir: string,
  brokers: ClusterSize,
  firstNode: NodeLayout,
): Promise<ClusterState> {
  const file = path.join(kafkaDir, STATE_FILE);
  await mkdir(kafkaDir, { recursive: true });
  if (await exists(file)) {
    const state = JSON.parse(await readFile(file, 'utf8')) as ClusterState;
    if (state.brokers !== brokers) {
      throw new Error(
        `the Kafka data in ${kafkaDir} belongs to a ${state.brokers}-broker cluster, ` +
          `but ${brokers} broker(s) were requested: use another data dir or the same broker count`,
      );
    }
    return state;
  }
  const clusterId = (await clusterIdFromMeta(firstNode)) ?? randomClusterId();
  const state: ClusterState = { clusterId, brokers };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
  return state;
}

/** Formats the node's log dir for the cluster (once: a formatted dir is left alone). */
export async function formatIfNeeded(libDir: string, clusterId: string, layout: NodeLayout): Promise<boolean> {
  if (await isFormatted(layout)) return false;
  const args = [
    '-Xmx256m',
    '-cp',
    path.join(libDir, '*'),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId,
    '-c',
    layout.propertiesFile,
  ];
  const result = await runCommand('java', args, { cwd: layout.nodeDir, timeoutMs: 120_000 });
  if (result.code !== 0) {
    const output = tailLines(`${result.stdout}\n${result.stderr}`);
    throw new Error(`formatting Kafka storage in ${layout.logDir} failed (exit ${result.code ?? result.signal}):\n${output}`);
  }
  return true;
}
