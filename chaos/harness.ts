// One scenario from start to verdict: the stream and the faults run together (the stream goes
// on while faults are still being injected), then the pipeline drains, then everything is
// counted from the outside: the GitLab double and the database.
import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster } from './cluster.ts';
import { deadLetterCount } from './cluster.ts';
import { COURSE } from './fixtures.ts';
import type { Repo } from './fixtures.ts';
import { streamPushes } from './load.ts';
import type { Push } from './load.ts';
import type { Observer, Store } from './observe.ts';
import type { Profile } from './options.ts';
import type { System } from './procs.ts';
import type { RedisServer } from './redis.ts';
import { recovery } from './report.ts';
import type { Row } from './report.ts';
import { restoreAll } from './scenarios.ts';
import type { Fault, FaultContext } from './scenarios.ts';

export interface Harness {
  readonly profile: Profile;
  readonly cluster: Cluster;
  readonly system: System;
  readonly redis: RedisServer;
  readonly observer: Observer;
  readonly store: Store;
  readonly repo: Repo;
  readonly databaseName: string;
  readonly workers: readonly string[];
  readonly webhookTimeoutMs: number;
  readonly say: (line: string) => void;
}

export interface ScenarioSpec {
  readonly name: string;
  readonly pushes: number;
  readonly intervalMs: number;
  readonly projectBase: number;
  readonly inject: ((ctx: FaultContext) => Promise<void>) | null;
}

const SETTLE_MS = 3_000;
/** At most this many times the scenario's pushes (see StreamOptions.maxPushes). */
export const MAX_PUSHES_FACTOR = 5;
/** GitLab's default webhook timeout: a slower answer counts as a failed delivery there. */
export const GITLAB_TIMEOUT_MS = 10_000;
const answerMs = (push: Push) => (push.answeredAt ?? Date.now()) - push.sentAt;

export interface ScenarioResult {
  readonly row: Row;
  /** Counts again (at the end of the run: a duplicate may come late, e.g. after a later fault). */
  recount(): Promise<Row>;
}

export async function runScenario(h: Harness, spec: ScenarioSpec): Promise<ScenarioResult> {
  const started = Date.now();
  const faults: Fault[] = [];
  const problems: string[] = [];
  const crashesBefore = h.system.crashes.length;
  const dlqBefore = await deadLetterCount(h.cluster).catch(() => null);
  const mine = () => h.observer.pushes.filter((push) => push.scenario === spec.name);
  let injecting = spec.inject !== null;
  const ctx: FaultContext = {
    profile: h.profile, cluster: h.cluster, system: h.system, redis: h.redis, databaseName: h.databaseName, workers: h.workers,
    progress: () => h.observer.progress(spec.name, spec.pushes),
    backlog: () => h.observer.backlog(spec.name),
    sent: () => mine().length,
    fault: (label) => {
      const fault: Fault = { label, at: Date.now(), restoredAt: null };
      faults.push(fault);
      h.say(`-> ${spec.name}: ${label}`);
      return fault;
    },
    say: h.say,
  };
  const stream = streamPushes({
    scenario: spec.name, gatewayUrl: h.system.url('gateway'), repo: h.repo, projectBase: spec.projectBase, intervalMs: spec.intervalMs,
    minPushes: spec.pushes, maxPushes: spec.pushes * MAX_PUSHES_FACTOR, keepGoing: () => injecting, trickleMs: 2_000, timeoutMs: h.webhookTimeoutMs, redeliverEvery: 10,
  }, h.observer.pushes);
  const injected = (async () => {
    try {
      if (spec.inject !== null) await spec.inject(ctx);
    } catch (error) {
      problems.push(`fault injection failed: ${(error as Error).message.split('\n')[0]}`);
      h.say(`!! ${spec.name}: ${(error as Error).message}`);
      await restoreAll(ctx).catch((restoreError: Error) => problems.push(`restore failed: ${restoreError.message.split('\n')[0]}`));
    } finally {
      injecting = false;
    }
  })();
  await Promise.all([stream, injected]);
  h.say(`   ${spec.name}: ${mine().length} pushes sent, draining`);
  const drained = await drain(h, spec.name, mine);
  if (!drained) problems.push(`not drained within ${h.profile.drainMs / 1000} s`);
  await delay(SETTLE_MS);
  h.observer.scan();
  for (const crash of h.system.crashes.slice(crashesBefore)) problems.push(`${crash.name} died on its own (${crash.exit}): ${lastLine(crash.tail)}`);
  await explainLost(h, spec.name, mine(), problems);
  const ended = Date.now();
  const stages = await h.store.stages(COURSE, spec.name).catch((error: Error) => error.message);
  h.say(`   ${spec.name}: seconds per step, median/p95: ${stages}`);
  const dlqAfter = await deadLetterCount(h.cluster).catch(() => null);
  const deadLetters = dlqBefore === null || dlqAfter === null ? null : dlqAfter - dlqBefore;
  const count = async (): Promise<Row> => ({ ...(await tally(h, spec.name, mine(), faults, problems, started, ended)), deadLetters });
  return { row: await count(), recount: count };
}

/** Waits until every accepted push is graded and told, or the drain time is up. */
async function drain(h: Harness, scenario: string, mine: () => Push[]): Promise<boolean> {
  const deadline = Date.now() + h.profile.drainMs;
  while (Date.now() < deadline) {
    const accepted = mine().filter((push) => push.accepted);
    if (accepted.every((push) => h.observer.notifiedAt(push.sha) !== null)) {
      const grades = await h.store.grades(COURSE, scenario).catch(() => null);
      if (grades !== null && accepted.every((push) => (grades.get(push.sha)?.grades ?? 0) > 0)) return true;
    }
    await delay(500);
  }
  return false;
}

/** Counts one scenario from the outside (also used again at the very end, for late duplicates). */
export async function tally(h: Harness, scenario: string, pushes: readonly Push[], faults: readonly Fault[], problems: string[], started: number, ended: number): Promise<Omit<Row, 'deadLetters'>> {
  const grades = await h.store.grades(COURSE, scenario);
  const accepted = pushes.filter((push) => push.accepted);
  let lost = 0;
  let duplicates = 0;
  for (const push of pushes) {
    const graded = grades.get(push.sha)?.grades ?? 0;
    if (push.accepted && (graded === 0 || h.observer.notifiedAt(push.sha) === null)) lost += 1;
    duplicates += Math.max(0, graded - 1) + Math.max(0, h.observer.finalStatuses(push.sha) - 1) + Math.max(0, h.observer.comments(push.sha) - 1);
  }
  const rows = [...grades.values()];
  return {
    scenario,
    pushes: pushes.length,
    accepted: accepted.length,
    rejected: pushes.length - accepted.length,
    redelivered: pushes.filter((push) => push.redelivery !== null).length,
    submissions: grades.size,
    grades: rows.reduce((sum, row) => sum + row.grades, 0),
    errorGrades: rows.reduce((sum, row) => sum + row.verdicts.split(',').filter((v) => v !== '' && v !== 'graded').length, 0),
    notified: accepted.filter((push) => h.observer.notifiedAt(push.sha) !== null).length,
    lost,
    duplicates,
    maxAnswerMs: Math.max(0, ...pushes.map(answerMs)),
    slowAnswers: pushes.filter((push) => answerMs(push) > GITLAB_TIMEOUT_MS).length,
    durationMs: ended - started,
    faults: faults.map((fault) => ({
      label: fault.label, atS: (fault.at - started) / 1000, restoredMs: fault.restoredAt === null ? null : fault.restoredAt - fault.at,
      ...recovery(fault, pushes, h.observer),
    })),
    problems,
  };
}

/** For the report: where each lost push got stuck (the first few). */
async function explainLost(h: Harness, scenario: string, pushes: readonly Push[], problems: string[]): Promise<void> {
  const grades = await h.store.grades(COURSE, scenario).catch(() => null);
  if (grades === null) return;
  const lost = pushes.filter((push) => push.accepted && ((grades.get(push.sha)?.grades ?? 0) === 0 || h.observer.notifiedAt(push.sha) === null));
  for (const push of lost.slice(0, 5)) {
    const where = await h.store.whereIs(push.sha).catch((error: Error) => error.message);
    const told = `final statuses ${h.observer.finalStatuses(push.sha)}, comments ${h.observer.comments(push.sha)}`;
    problems.push(`lost push #${push.index} ${push.sha.slice(0, 8)} (sent +${((push.sentAt - pushes[0]!.sentAt) / 1000).toFixed(1)} s, answered ${push.answer}): ${where}; at GitLab: ${told}`);
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
