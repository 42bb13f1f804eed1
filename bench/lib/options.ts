// Command line of `npm run bench`: which sections run and how big they are. --quick shrinks
// every section so that the whole run fits in CI (under 3 minutes) and only checks that
// everything completed with 0 lost and 0 duplicates.
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

export const SECTIONS = ['ingest', 'consume', 'per-key', 'exam-ci', 'sandbox', 'exam-local'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  readonly quick: boolean;
  readonly sections: ReadonlySet<Section>;
  /** Fixed-rate ingestion: webhooks per second and how long. */
  readonly fixedRate: number;
  readonly fixedSeconds: number;
  /** Webhooks (and ProducerPerformance records) sent first for JIT and connection warm-up. */
  readonly warmupRequests: number;
  /** Saturation ingestion: requests sent as fast as `saturationConnections` connections allow. */
  readonly saturationRequests: number;
  readonly fixedConnections: number;
  readonly saturationConnections: number;
  /** Records sent by Kafka's ProducerPerformance. */
  readonly perfRecords: number;
  readonly perKeyMessages: number;
  readonly perKeyKeys: number;
  readonly students: number;
  readonly pushesPerStudent: number;
  /** Seconds over which the students push (the deadline is at the end). */
  readonly examWindowSeconds: number;
  /** How long an exam may take to drain after the last push before it counts as failed. */
  readonly drainTimeoutSeconds: number;
  readonly runnerConcurrency: number;
  readonly sandboxRuns: number;
  readonly logLevel: string;
  /** Directory for --cpu-prof profiles of the gradeflow processes (null: no profiling). */
  readonly cpuProfDir: string | null;
  readonly jsonOut: string | null;
  readonly keep: boolean;
}

const USAGE = `usage: npm run bench -- [options]

  --quick                 small sizes for CI (< 3 min); checks completion, 0 lost, 0 duplicates
  --only a,b              sections: ${SECTIONS.join(', ')}
  --students N            exam students (default 2400)
  --pushes N              pushes per student (default 1)
  --window S              seconds over which students push, deadline at the end (default 120)
  --rate N                fixed ingestion rate, webhooks/s (default 1000)
  --fixed-seconds S       duration of the fixed-rate run (default 30)
  --saturation N          requests of the saturation run (default 60000)
  --connections N         load generator connections at saturation (default 100)
  --perf-records N        records sent by ProducerPerformance (default 200000)
  --per-key-messages N    (default 10000)   --per-key-keys N (default 1000)
  --runner-concurrency N  GRADEFLOW_RUNNER_CONCURRENCY of check-runners (default: cores)
  --sandbox-runs N        runs of the sandbox baseline (default 400)
  --log-level L           LOG_LEVEL of the gradeflow processes (default info)
  --cpu-prof DIR          run the gradeflow processes with --cpu-prof, profiles into DIR
  --json FILE             also write every figure as JSON
  --keep                  keep the run directory (logs, broker data)`;

function int(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name}: expected a positive whole number, got "${value}"`);
  return n;
}

export class UsageError extends Error {
  readonly usage = USAGE;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      students: { type: 'string' },
      pushes: { type: 'string' },
      window: { type: 'string' },
      rate: { type: 'string' },
      'fixed-seconds': { type: 'string' },
      saturation: { type: 'string' },
      connections: { type: 'string' },
      'perf-records': { type: 'string' },
      'per-key-messages': { type: 'string' },
      'per-key-keys': { type: 'string' },
      'runner-concurrency': { type: 'string' },
      'sandbox-runs': { type: 'string' },
      'log-level': { type: 'string' },
      'cpu-prof': { type: 'string' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new UsageError('');
  const quick = values.quick;
  const only = values.only?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of only ?? []) {
    if (!(SECTIONS as readonly string[]).includes(name)) throw new UsageError(`--only: unknown section "${name}"`);
  }
  return {
    quick,
    sections: new Set((only ?? SECTIONS) as Section[]),
    fixedRate: int(values.rate, 1000, '--rate'),
    fixedSeconds: int(values['fixed-seconds'], quick ? 2 : 30, '--fixed-seconds'),
    warmupRequests: quick ? 200 : 2000,
    saturationRequests: int(values.saturation, quick ? 2000 : 60_000, '--saturation'),
    fixedConnections: 50,
    saturationConnections: int(values.connections, 100, '--connections'),
    perfRecords: int(values['perf-records'], quick ? 5000 : 200_000, '--perf-records'),
    perKeyMessages: int(values['per-key-messages'], quick ? 1000 : 10_000, '--per-key-messages'),
    perKeyKeys: int(values['per-key-keys'], quick ? 100 : 1000, '--per-key-keys'),
    students: int(values.students, quick ? 30 : 2400, '--students'),
    pushesPerStudent: int(values.pushes, 1, '--pushes'),
    examWindowSeconds: int(values.window, quick ? 5 : 120, '--window'),
    drainTimeoutSeconds: quick ? 90 : 1800,
    runnerConcurrency: int(values['runner-concurrency'], availableParallelism(), '--runner-concurrency'),
    sandboxRuns: int(values['sandbox-runs'], quick ? 10 : 400, '--sandbox-runs'),
    logLevel: values['log-level'] ?? 'info',
    cpuProfDir: values['cpu-prof'] ?? null,
    jsonOut: values.json ?? null,
    keep: values.keep,
  };
}
