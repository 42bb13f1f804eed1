// The cluster and chaos suite: Gradeflow as real processes (gateway and one worker per
// consumer group) on a 3-node Kafka cluster, a fresh PostgreSQL database, a Redis of its own
// and the GitLab double, fed a steady stream of pushes while one fault at a time is injected.
// Exit code 0 only if no scenario lost or duplicated anything. Bounded in time, loopback only;
// every process it starts is gone when it ends, on success and on failure.
//
//   node chaos/run.ts [--short|--full] [--scenario NAME ...] [--keep]    (Node 24: npm exec -- node …)
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFreePorts } from '../src/kafka/local/ports.ts';
import { GROUPS } from '../src/pipeline/groups.ts';
import { startGitLabDouble } from '../test/support/gitlab-double.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { installExitHandlers, onCleanup, runCleanups } from './cleanup.ts';
import { killAllNodes, startCluster } from './cluster.ts';
import { SECRET_ENV, makeRepo, writeCourse } from './fixtures.ts';
import { MAX_PUSHES_FACTOR, runScenario } from './harness.ts';
import type { Harness, ScenarioResult } from './harness.ts';
import { Observer, Store } from './observe.ts';
import { USAGE, UsageError, parseOptions } from './options.ts';
import type { Options } from './options.ts';
import { System } from './procs.ts';
import type { ProcSpec } from './procs.ts';
import { RedisServer } from './redis.ts';
import { formatFaults, formatTable, passed } from './report.ts';
import type { Row } from './report.ts';
import { INJECTORS } from './scenarios.ts';

const began = Date.now();
function say(line: string): void {
  const s = Math.floor((Date.now() - began) / 1000);
  process.stdout.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${line}\n`);
}

const WARMUP_PUSHES = 4;
const PROJECTS_PER_SCENARIO = 10_000;

async function main(options: Options): Promise<boolean> {
  const { profile } = options;
  installExitHandlers(say);
  const runDir = await mkdtemp(path.join(tmpdir(), 'gradeflow-chaos-'));
  // The sandbox uid must reach the check work dirs below it (mkdtemp makes it 0700).
  await chmod(runDir, 0o755);
  const logDir = path.join(runDir, 'logs');
  await mkdir(logDir, { recursive: true });
  let ok = false;
  onCleanup('run directory', async () => {
    if (ok && !options.keep) await rm(runDir, { recursive: true, force: true });
    else await rm(path.join(runDir, 'kafka'), { recursive: true, force: true }).then(() => say(`logs kept in ${logDir}`));
  });
  say(`chaos ${profile.name}: scenarios ${options.scenarios.join(', ')}; run directory ${runDir}`);

  const gitlab = await startGitLabDouble();
  onCleanup('GitLab double', () => gitlab.close());
  const db = await createTestDatabase();
  onCleanup('database', () => db.drop());
  const redis = await RedisServer.start();
  onCleanup('redis-server', () => redis.kill());
  say(`starting a 3-node Kafka cluster (replication 3, min.insync.replicas 2, no unclean leader election)`);
  const cluster = await startCluster(runDir, 'edu.', (line) => void line);
  onCleanup('Kafka cluster', () => killAllNodes(cluster));
  say(`Kafka up: ${cluster.brokers.join(', ')}`);

  const workers = Object.keys(GROUPS);
  const coursesDir = writeCourse(path.join(runDir, 'courses'), ['warmup', ...options.scenarios]);
  const maxPushes = WARMUP_PUSHES + options.scenarios.length * profile.pushes * MAX_PUSHES_FACTOR;
  const repo = makeRepo(path.join(runDir, 'repo'), maxPushes);
  const dataDir = path.join(runDir, 'data');
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  const ports = await findFreePorts(workers.length + 1);
  const common = {
    KAFKA_BROKERS: cluster.brokers.join(','), KAFKA_TOPIC_PREFIX: cluster.prefix, KAFKA_REPLICATION_FACTOR: '3',
    DATABASE_URL: db.url, GRADEFLOW_COURSES_DIR: coursesDir, GRADEFLOW_DATA_DIR: dataDir,
    GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlab.token, GRADEFLOW_PUBLIC_URL: 'https://grades.example.org',
    GRADEFLOW_RUNNER_CONCURRENCY: '2', LOG_LEVEL: 'info', ...SECRET_ENV,
  };
  const specs: ProcSpec[] = [
    { name: 'gateway', args: ['gateway'], env: { ...common, REDIS_URL: redis.url }, port: ports[0] ?? 0 },
    ...workers.map((group, i) => ({ name: group, args: ['worker', group], env: common, port: ports[i + 1] ?? 0 })),
  ];
  const system = new System(logDir, say);
  onCleanup('gradeflow processes', () => system.stopAll());
  say(`starting ${specs.map((s) => s.name).join(', ')}`);
  await system.startAll(specs, 180_000);

  const observer = new Observer(gitlab);
  observer.start();
  onCleanup('observer', async () => observer.stop());
  const store = new Store(db.url);
  onCleanup('database pool', () => store.close());
  const harness: Harness = {
    profile, cluster, system, redis, observer, store, repo, databaseName: db.name, workers, webhookTimeoutMs: options.webhookTimeoutMs, say,
  };

  say(`warm-up: ${WARMUP_PUSHES} pushes through the whole pipeline`);
  const warm = await runScenario(harness, { name: 'warmup', pushes: WARMUP_PUSHES, intervalMs: 250, projectBase: 1_000, inject: null });
  if (!passed(warm.row)) {
    process.stdout.write(`${formatTable([warm.row])}\n${formatFaults([warm.row])}\n`);
    throw new Error('the pipeline does not work without faults: see the warm-up row and the logs');
  }
  say(`warm-up done in ${(warm.row.durationMs / 1000).toFixed(1)} s`);

  const results: ScenarioResult[] = [];
  for (const [i, name] of options.scenarios.entries()) {
    say(`scenario ${name}: ${profile.pushes} pushes, one every ${profile.intervalMs} ms`);
    const result = await runScenario(harness, {
      name, pushes: profile.pushes, intervalMs: profile.intervalMs, projectBase: (i + 1) * PROJECTS_PER_SCENARIO, inject: INJECTORS[name],
    });
    results.push(result);
    const { row } = result;
    say(`scenario ${name}: ${passed(row) ? 'PASS' : 'FAIL'} (accepted ${row.accepted}/${row.pushes}, lost ${row.lost}, duplicates ${row.duplicates}) in ${(row.durationMs / 1000).toFixed(1)} s`);
  }
  const rows: Row[] = [];
  for (const result of results) rows.push(await result.recount());
  const stuck = await store.stuckClaims().catch(() => null);
  process.stdout.write(`\nGradeflow chaos (${profile.name}), ${((Date.now() - began) / 1000).toFixed(0)} s in all\n${formatTable(rows)}\n\n${formatFaults(rows)}\n`);
  if (stuck !== null && stuck > 0) process.stdout.write(`\n  ${stuck} notification claim(s) left 'claimed' (a sender died between claiming and recording)\n`);
  if (system.crashes.length > 0) process.stdout.write(`\n  ${system.crashes.length} unexpected process exit(s); see ${logDir}\n`);
  ok = rows.every(passed);
  process.stdout.write(`\n${ok ? 'PASS' : 'FAIL'}: lost ${sum(rows, 'lost')}, duplicates ${sum(rows, 'duplicates')}, rejected ${sum(rows, 'rejected')}\n`);
  return ok;
}

const sum = (rows: readonly Row[], key: 'lost' | 'duplicates' | 'rejected') => rows.reduce((total, row) => total + row[key], 0);

async function entry(): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const budget = options.profile.budgetMs;
  const watchdog = setTimeout(() => {
    say(`!! time budget of ${budget / 60_000} min exceeded: stopping everything`);
    void runCleanups(say).finally(() => process.exit(1));
  }, budget);
  try {
    return (await main(options)) ? 0 : 1;
  } catch (error) {
    say(`!! ${error instanceof UsageError ? '' : 'chaos run failed: '}${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    clearTimeout(watchdog);
    say('stopping everything');
    await runCleanups(say);
  }
}

// Exit explicitly: a keep-alive socket or a client's timer must not keep a finished run alive.
process.exit(await entry());
