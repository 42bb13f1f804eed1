// The real Gradeflow as an operator scales it out: `gradeflow gateway` and one
// `gradeflow worker <group>` process per consumer group, each with its own CPU and memory.
import { findFreePorts } from '../../src/kafka/local/ports.ts';
import type { GroupName } from '../../src/pipeline/groups.ts';
import type { Running } from './processes.ts';
import { startGradeflow, waitHealthy } from './processes.ts';

export interface SystemOptions {
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  readonly coursesDir: string;
  readonly dataDir: string;
  readonly logDir: string;
  readonly logLevel: string;
  readonly cpuProfDir: string | null;
  readonly databaseUrl?: string;
  readonly gitlab?: { url: string; token: string };
  readonly runnerConcurrency?: number;
  readonly groups: readonly GroupName[];
}

export interface RunningSystem {
  readonly gatewayUrl: string;
  /** Base URL of every process's HTTP server (/healthz, /metrics), by process name. */
  readonly urls: ReadonlyMap<string, string>;
  readonly processes: readonly Running[];
  /** A process that exited while it should be running ("name exited with code"), or null. */
  dead(): string | null;
  /** SIGTERM to every process (workers first, then the gateway); their exit codes. */
  stop(): Promise<Map<string, number | string>>;
}

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const ports = await findFreePorts(options.groups.length + 1);
  const env: Record<string, string> = {
    KAFKA_BROKERS: options.brokers.join(','),
    KAFKA_TOPIC_PREFIX: options.topicPrefix,
    KAFKA_REPLICATION_FACTOR: '1',
    GRADEFLOW_COURSES_DIR: options.coursesDir,
    GRADEFLOW_DATA_DIR: options.dataDir,
    LOG_LEVEL: options.logLevel,
    // Every webhook of the bench comes from 127.0.0.1, as a whole exam's come from GitLab's few
    // hosts: the per-source limit is raised as operators are told to (src/gateway/rate-limit.ts).
    GRADEFLOW_WEBHOOK_RATE_LIMIT: '100000000',
    ...(options.databaseUrl === undefined ? {} : { DATABASE_URL: options.databaseUrl }),
    ...(options.gitlab === undefined ? {} : { GITLAB_URL: options.gitlab.url, GITLAB_TOKEN: options.gitlab.token }),
    ...(options.runnerConcurrency === undefined ? {} : { GRADEFLOW_RUNNER_CONCURRENCY: String(options.runnerConcurrency) }),
  };
  const gatewayPort = ports[0] as number;
  const gateway = startGradeflow('gateway', ['gateway'], { ...env, PORT: String(gatewayPort) }, options.logDir, options.cpuProfDir);
  const workers = options.groups.map((group, i) =>
    startGradeflow(group, ['worker', group], { ...env, PORT: String(ports[i + 1]) }, options.logDir, options.cpuProfDir));
  const all = [gateway, ...workers];
  try {
    await Promise.all([
      waitHealthy(gateway, `http://127.0.0.1:${gatewayPort}/readyz`),
      ...workers.map((w, i) => waitHealthy(w, `http://127.0.0.1:${ports[i + 1]}/healthz`)),
    ]);
  } catch (error) {
    await Promise.all(all.map((p) => p.stop(10_000)));
    throw error;
  }
  const exits = new Map<string, number | string>();
  let stopping = false;
  for (const p of all) void p.exited.then((code) => exits.set(p.name, code));
  return {
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    urls: new Map(all.map((p, i) => [p.name, `http://127.0.0.1:${ports[i]}`])),
    processes: all,
    dead() {
      if (stopping) return null;
      const [name, code] = [...exits][0] ?? [];
      return name === undefined ? null : `${name} exited with ${code}`;
    },
    async stop() {
      stopping = true;
      const codes = new Map<string, number | string>();
      await Promise.all(workers.map(async (w) => codes.set(w.name, await w.stop())));
      codes.set(gateway.name, await gateway.stop());
      return codes;
    },
  };
}
