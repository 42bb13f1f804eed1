// The faults, one scenario at a time, injected while the stream of pushes runs. Each fault is
// recorded with when it began and when the thing broken was back (node restarted and replicas
// in sync, process healthy again, ...); recovery is measured from these by report.ts.
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { TOPICS, topicName } from '../src/events/topics.ts';
import { adminUrl } from '../test/support/postgres.ts';
import { waitFor } from '../test/support/wait.ts';
import type { Cluster } from './cluster.ts';
import { killAllNodes, leaderOf, startStoppedNodes, waitIsrFull, waitNewLeader } from './cluster.ts';
import type { Profile, ScenarioName } from './options.ts';
import type { System } from './procs.ts';
import type { RedisServer } from './redis.ts';

export interface Fault {
  label: string;
  readonly at: number;
  /** When what was broken was back (null: never, or instantaneous faults). */
  restoredAt: number | null;
}

export interface FaultContext {
  readonly profile: Profile;
  readonly cluster: Cluster;
  readonly system: System;
  readonly redis: RedisServer;
  readonly databaseName: string;
  /** Process names of the consumer groups (the gateway is not one). */
  readonly workers: readonly string[];
  /** Share of this scenario's pushes already told their result. */
  progress(): number;
  /** Accepted pushes of this scenario not yet told their result. */
  backlog(): number;
  /** Pushes of this scenario sent so far. */
  sent(): number;
  /** Records a fault beginning now. */
  fault(label: string): Fault;
  say(line: string): void;
}

const ISR_TIMEOUT_MS = 180_000;

async function progressAtLeast(ctx: FaultContext, share: number): Promise<void> {
  await waitFor(`${Math.round(share * 100)}% of the pushes notified`, () => ctx.progress() >= share, { timeoutMs: 180_000, intervalMs: 100 });
}

const since = (at: number) => `${((Date.now() - at) / 1000).toFixed(1)} s`;

/** Apache Kafka's replication test, hard bounce: SIGKILL the leader, restart it, ISR full again. */
async function leaderKill(ctx: FaultContext): Promise<void> {
  const { cluster } = ctx;
  const topic = topicName(cluster.prefix, TOPICS.gitlabPush.name);
  await progressAtLeast(ctx, 0.1);
  for (let k = 0; k < ctx.profile.leaderKills; k += 1) {
    const partition = k % TOPICS.gitlabPush.partitions;
    const leader = await leaderOf(cluster, topic, partition);
    const fault = ctx.fault(`SIGKILL node ${leader}, leader of gitlab.push-${partition}`);
    await cluster.kafka.killNode(leader, 'SIGKILL');
    const next = await waitNewLeader(cluster, topic, partition, leader, 60_000);
    ctx.say(`   node ${next} leads gitlab.push-${partition} after ${since(fault.at)}; restarting node ${leader}`);
    await cluster.kafka.startNode(leader);
    ctx.say(`   node ${leader} answers again after ${since(fault.at)}; waiting for every ISR`);
    await waitIsrFull(cluster, ISR_TIMEOUT_MS);
    fault.restoredAt = Date.now();
    ctx.say(`   node ${leader} back and every ISR full after ${since(fault.at)}`);
    await delay(2_000);
  }
}

/** SIGKILL every consumer group's process (all its members), restart it at once. */
async function workerKill(ctx: FaultContext): Promise<void> {
  await progressAtLeast(ctx, 0.2);
  for (let round = 1; round <= ctx.profile.workerKillRounds; round += 1) {
    for (const name of ctx.workers) {
      const fault = ctx.fault(`SIGKILL ${name}${ctx.profile.workerKillRounds > 1 ? ` (round ${round})` : ''}`);
      await ctx.system.kill(name);
      await ctx.system.restart(name);
      fault.restoredAt = Date.now();
      ctx.say(`   ${name} healthy again after ${since(fault.at)}`);
      await delay(1_000);
    }
  }
}

/** Terminates every backend of the run's database while records are being written. */
async function pgTerminate(ctx: FaultContext): Promise<void> {
  await progressAtLeast(ctx, 0.15);
  for (let k = 0; k < ctx.profile.pgTerminations; k += 1) {
    // "During writes": only while accepted pushes are on their way through the pipeline.
    await waitFor('pushes in flight', () => ctx.backlog() > 0, { timeoutMs: 30_000, intervalMs: 50 }).catch(() => undefined);
    const client = new pg.Client({ connectionString: adminUrl() });
    await client.connect();
    try {
      const fault = ctx.fault('pg_terminate_backend');
      const { rows } = await client.query<{ terminated: boolean }>(
        'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [ctx.databaseName]);
      fault.label = `pg_terminate_backend of ${rows.filter((row) => row.terminated).length} backends`;
      fault.restoredAt = fault.at;
    } finally {
      await client.end();
    }
    await delay(ctx.profile.pgTerminateGapMs);
  }
}

/** The gateway's Redis goes away mid-stream; pushes must still be accepted. Back near the end. */
async function redisDown(ctx: FaultContext): Promise<void> {
  await progressAtLeast(ctx, 0.2);
  const fault = ctx.fault('SIGKILL redis-server (gateway dedup cache)');
  await ctx.redis.kill();
  await waitFor('most of the stream sent without Redis', () => ctx.sent() >= ctx.profile.pushes * 0.85, { timeoutMs: 600_000, intervalMs: 100 });
  await ctx.redis.start();
  fault.restoredAt = Date.now();
  ctx.say(`   redis-server back after ${since(fault.at)}`);
}

/** Every broker down at once for outageMs while pushes keep arriving. */
async function kafkaOutage(ctx: FaultContext): Promise<void> {
  const { cluster } = ctx;
  await progressAtLeast(ctx, 0.2);
  const fault = ctx.fault(`SIGKILL all ${cluster.kafka.nodes.length} brokers for ${ctx.profile.outageMs / 1000} s`);
  await killAllNodes(cluster);
  await delay(ctx.profile.outageMs);
  ctx.say(`   starting the brokers again after ${since(fault.at)}`);
  await startStoppedNodes(cluster);
  await waitIsrFull(cluster, ISR_TIMEOUT_MS);
  fault.restoredAt = Date.now();
  ctx.say(`   brokers up and every ISR full after ${since(fault.at)}`);
}

export const INJECTORS: Readonly<Record<ScenarioName, (ctx: FaultContext) => Promise<void>>> = {
  'leader-kill': leaderKill,
  'worker-kill': workerKill,
  'pg-terminate': pgTerminate,
  'redis-down': redisDown,
  'kafka-outage': kafkaOutage,
};

/** After a scenario that failed half-way: every node, Redis and every process running again. */
export async function restoreAll(ctx: Pick<FaultContext, 'cluster' | 'system' | 'redis'>): Promise<void> {
  await startStoppedNodes(ctx.cluster);
  await ctx.redis.start();
  await ctx.system.ensureRunning();
  await waitIsrFull(ctx.cluster, ISR_TIMEOUT_MS);
}
