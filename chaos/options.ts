// The two sizes of the run and the command line. --short is what CI can afford on two shared
// cores (a few minutes); --full has the counts of the brief and is run by hand.
import { parseArgs } from 'node:util';

export const SCENARIOS = ['leader-kill', 'worker-kill', 'pg-terminate', 'redis-down', 'kafka-outage'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Profile {
  readonly name: 'short' | 'full';
  /** Pushes per scenario (more, one every 2 s, while faults are still being injected). */
  readonly pushes: number;
  readonly intervalMs: number;
  readonly leaderKills: number;
  /** Rounds of "SIGKILL every consumer group's process once". */
  readonly workerKillRounds: number;
  readonly pgTerminations: number;
  readonly pgTerminateGapMs: number;
  readonly outageMs: number;
  /** After the stream: how long accepted pushes may take to be graded and notified. */
  readonly drainMs: number;
  /** The whole run is stopped (and fails) after this long, whatever happens. */
  readonly budgetMs: number;
}

export const PROFILES: Readonly<Record<Profile['name'], Profile>> = {
  short: {
    name: 'short', pushes: 60, intervalMs: 600, leaderKills: 2, workerKillRounds: 1, pgTerminations: 3, pgTerminateGapMs: 4_000,
    outageMs: 10_000, drainMs: 90_000, budgetMs: 20 * 60_000,
  },
  full: {
    name: 'full', pushes: 300, intervalMs: 400, leaderKills: 5, workerKillRounds: 3, pgTerminations: 10, pgTerminateGapMs: 5_000,
    outageMs: 30_000, drainMs: 300_000, budgetMs: 90 * 60_000,
  },
};

export interface Options {
  readonly profile: Profile;
  readonly scenarios: readonly ScenarioName[];
  /** Keep the run directory (process logs, broker logs) even when everything passed. */
  readonly keep: boolean;
  /** Seconds a webhook delivery may take before it counts as failed. */
  readonly webhookTimeoutMs: number;
}

export const USAGE = `usage: node chaos/run.ts [--short|--full] [--scenario NAME ...] [--keep] [--webhook-timeout SECONDS]

  --short            CI size (default): ${PROFILES.short.pushes} pushes per scenario, ${PROFILES.short.leaderKills} leader kills, 1 kill per group, ${PROFILES.short.outageMs / 1000} s outage
  --full             ${PROFILES.full.pushes} pushes per scenario, ${PROFILES.full.leaderKills} leader kills, ${PROFILES.full.workerKillRounds} kills per group, ${PROFILES.full.outageMs / 1000} s outage
  --scenario NAME    only this scenario (repeatable): ${SCENARIOS.join(', ')}
  --keep             keep the run directory (logs) even on success
  --webhook-timeout  seconds before a webhook without answer counts as failed (default 30)

Exit code 0 only if no scenario lost, rejected or duplicated anything.`;

export class UsageError extends Error {}

export function parseOptions(argv: readonly string[]): Options | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      short: { type: 'boolean' }, full: { type: 'boolean' }, scenario: { type: 'string', multiple: true },
      keep: { type: 'boolean' }, 'webhook-timeout': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (values.short === true && values.full === true) throw new UsageError('--short and --full exclude each other');
  const chosen = values.scenario ?? [];
  for (const name of chosen) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new UsageError(`unknown scenario "${name}"; scenarios: ${SCENARIOS.join(', ')}`);
  }
  const timeout = Number(values['webhook-timeout'] ?? '30');
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError('--webhook-timeout expects a positive number of seconds');
  return {
    profile: values.full === true ? PROFILES.full : PROFILES.short,
    scenarios: chosen.length === 0 ? SCENARIOS : SCENARIOS.filter((name) => chosen.includes(name)),
    keep: values.keep === true,
    webhookTimeoutMs: timeout * 1000,
  };
}
