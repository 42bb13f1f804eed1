// 4. Exam simulation: S students push, most of them close to the deadline, through the real
// processes — gateway -> pipeline-orchestrators -> checks -> result-processors (grades) ->
// notification-senders — until every student has a grade and a comment on the GitLab double.
//   gitlab-ci: pipelines are created on the double; the bench finishes each at once and posts
//              its webhooks back to the gateway (ci-trackers follow them).
//   local:     check-runners run the course's check (copying a ready JUnit report) in the real
//              bubblewrap sandbox; compared with the sandbox baseline (sandbox.ts).
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { GroupName } from '../src/pipeline/groups.ts';
import { GROUPS } from '../src/pipeline/groups.ts';
import { startGitLabDouble } from '../test/support/gitlab-double.ts';
import type { PushOutcome, PusherInput, ScheduledPush } from './children/pusher.ts';
import type { BenchContext } from './lib/context.ts';
import { reportUsage } from './lib/context.ts';
import { FeedbackTracker } from './lib/feedback.ts';
import { WEBHOOK_SECRET, createDatabase, groupLags, kafkaAdmin, makeStudentRepo, writeCourse } from './lib/infra.ts';
import { PgMeter } from './lib/pg-meter.ts';
import { PipelineDriver } from './lib/pipeline-driver.ts';
import { runHelper, spawnNode, waitHealthy } from './lib/processes.ts';
import { findFreePorts } from '../src/kafka/local/ports.ts';
import { SERVICE_NODE_FLAGS } from '../src/cli/node-flags.ts';
import { ProcessMeter } from './lib/procstat.ts';
import { percentile } from './lib/report.ts';
import type { SandboxBaseline } from './sandbox.ts';
import { startSystem } from './lib/system.ts';

const PUSHER = path.join(import.meta.dirname, 'children', 'pusher.ts');
const IDLE_LOOP = path.join(import.meta.dirname, 'children', 'idle-loop.ts');

export type Variant = 'gitlab-ci' | 'local';

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Push times over the window with a density rising as t² toward its end (the deadline): a
 * third of the pushes in the last 12% of the window, the peak rate three times the mean.
 */
function schedule(students: number, pushes: number, windowMs: number, seed: number): number[][] {
  const next = random(seed);
  return Array.from({ length: students }, () =>
    Array.from({ length: pushes }, () => Math.round(windowMs * Math.cbrt(next()))).sort((a, b) => a - b));
}

class LagWatch {
  readonly peaks = new Map<string, number>();
  latest = new Map<string, number>();
  readonly #groups: Map<string, string[]>;
  readonly #admin;
  readonly #timer: NodeJS.Timeout;
  #busy = false;

  constructor(brokers: readonly string[], groups: Map<string, string[]>) {
    this.#groups = groups;
    this.#admin = kafkaAdmin(brokers);
    this.#timer = setInterval(() => void this.sample(), 500);
    this.#timer.unref();
  }

  async sample(): Promise<Map<string, number>> {
    if (this.#busy) return this.latest;
    this.#busy = true;
    try {
      this.latest = await groupLags(this.#admin, this.#groups);
      for (const [group, lag] of this.latest) this.peaks.set(group, Math.max(this.peaks.get(group) ?? 0, lag));
    } catch {
      // a missed sample is fine; the next one comes in 500 ms
    } finally {
      this.#busy = false;
    }
    return this.latest;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    while (this.#busy) await delay(20);
    await this.#admin.close();
  }
}

const GROUPS_OF: Record<Variant, GroupName[]> = {
  'gitlab-ci': ['pipeline-orchestrators', 'ci-trackers', 'result-processors', 'notification-senders'],
  local: ['pipeline-orchestrators', 'check-runners', 'result-processors', 'notification-senders'],
};

interface Plan {
  readonly pushes: ScheduledPush[];
  readonly peakPerSecond: number;
}

function plan(context: BenchContext, variant: Variant, slug: string, dir: string, setBranchHead: (projectId: number, sha: string) => void): Plan {
  const { students, pushesPerStudent, examWindowSeconds } = context.options;
  const times = schedule(students, pushesPerStudent, examWindowSeconds * 1000, 2026);
  const repo = variant === 'local' ? makeStudentRepo(path.join(dir, 'students.git'), students * pushesPerStudent) : null;
  const pushes: ScheduledPush[] = [];
  times.forEach((studentTimes, s) => {
    const projectId = 10_000 + s;
    const studentPath = `${slug}/final/s${String(s).padStart(5, '0')}`;
    studentTimes.forEach((at, j) => {
      const index = s * pushesPerStudent + j;
      const sha = repo?.shas[index] ?? createHash('sha1').update(`${context.runId}:${slug}:${index}`).digest('hex');
      pushes.push({ at, path: studentPath, projectId, sha, ...(repo === null ? {} : { repoUrl: repo.url }) });
    });
    // GitLab runs a pipeline on the branch head: the student's last push.
    const last = pushes.at(-1);
    if (last !== undefined) setBranchHead(projectId, last.sha);
  });
  const perSecond = new Map<number, number>();
  for (const p of pushes) perSecond.set(Math.floor(p.at / 1000), (perSecond.get(Math.floor(p.at / 1000)) ?? 0) + 1);
  return { pushes, peakPerSecond: Math.max(...perSecond.values()) };
}

async function waitUntilTold(tracker: FeedbackTracker, shas: readonly string[], timeoutMs: number, progress: (done: number) => void, dead: () => string | null): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  for (;;) {
    const crashed = dead();
    if (crashed !== null) throw new Error(`${crashed} during the exam`);
    const done = shas.filter((sha) => tracker.told(sha)).length;
    if (done === shas.length) return true;
    if (Date.now() > deadline) return false;
    if (Date.now() - lastReport > 10_000) {
      progress(done);
      lastReport = Date.now();
    }
    await delay(100);
  }
}

/** Where the time goes: p50/p95 of each stage between the six times a submission records. */
async function reportStages(context: BenchContext, section: string, db: Awaited<ReturnType<typeof createDatabase>>): Promise<void> {
  const stages = [
    ['received -> queued (gateway, Kafka, pipeline-orchestrators)', 'received_at', 'queued_at'],
    ['queued -> started (check started: runner slot / pipeline running hook)', 'queued_at', 'started_at'],
    ['started -> finished (the check itself)', 'started_at', 'finished_at'],
    ['finished -> graded (Kafka, result-processors)', 'finished_at', 'graded_at'],
    ['graded -> notified (Kafka, notification-senders, GitLab API)', 'graded_at', 'notified_at'],
  ] as const;
  for (const [name, from, to] of stages) {
    const [row] = await db.query<{ p50: number | null; p95: number | null }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
         FROM (SELECT extract(epoch FROM ${to} - ${from}) * 1000 AS ms FROM submissions WHERE ${to} IS NOT NULL AND ${from} IS NOT NULL) t`);
    context.report.figure(section, `stage ${name} p50`, Math.round(row?.p50 ?? Number.NaN), 'ms', `p95 ${Math.round(row?.p95 ?? Number.NaN)} ms`);
  }
}

export async function exam(context: BenchContext, variant: Variant, baseline: SandboxBaseline | null): Promise<void> {
  const { options, report, broker } = context;
  const section = `exam-${variant === 'local' ? 'local' : 'ci'}`;
  const slug = `exam-${variant === 'local' ? 'local' : 'ci'}`;
  const prefix = `bench-${context.runId}-${slug}.`;
  const dir = path.join(context.runDir, slug);
  mkdirSync(dir, { recursive: true });
  // The sandbox uid must reach the check work dirs under the data dir.
  chmodSync(context.runDir, 0o755);
  chmodSync(dir, 0o755);
  const coursesDir = writeCourse(path.join(dir, 'courses'), { slug, executor: variant, deadline: new Date(Date.now() + options.examWindowSeconds * 1000 + 3_600_000) });
  const gitlab = await startGitLabDouble();
  const tracker = new FeedbackTracker(gitlab);
  const db = await createDatabase();
  const { pushes, peakPerSecond } = plan(context, variant, slug, dir, (projectId, sha) => gitlab.setBranchHead(projectId, 'main', sha));
  report.log(section, `${options.students} students x ${options.pushesPerStudent} push(es) = ${pushes.length} pushes over ${options.examWindowSeconds} s, density rising as t^2 to the deadline; offered peak ${peakPerSecond}/s`);
  const groups = GROUPS_OF[variant];
  const system = await startSystem({
    brokers: broker.brokers, topicPrefix: prefix, coursesDir, dataDir: path.join(dir, 'data'), logDir: context.logDir, logLevel: options.logLevel,
    cpuProfDir: options.cpuProfDir, databaseUrl: db.url, gitlab: { url: gitlab.url, token: gitlab.token }, runnerConcurrency: options.runnerConcurrency, groups,
  }).catch(async (error: unknown) => {
    await gitlab.close();
    if (!options.keep) await db.drop();
    throw error;
  });
  // Beside the services, a Node process that does nothing but report its event-loop delay.
  const [idlePort] = await findFreePorts(1);
  const idle = spawnNode({ name: `idle-node-${slug}`, script: IDLE_LOOP, env: { PORT: String(idlePort) }, logDir: context.logDir, execArgv: SERVICE_NODE_FLAGS });
  const idleUrl = `http://127.0.0.1:${idlePort}`;
  await waitHealthy(idle, `${idleUrl}/healthz`).catch(async (error: unknown) => {
    await Promise.all([system.stop(), gitlab.close()]);
    if (!options.keep) await db.drop();
    throw error;
  });
  const meter = new ProcessMeter();
  for (const p of system.processes) meter.add(p.name, p.pid, true);
  if (broker.pid !== null) meter.add('broker (JVM)', broker.pid);
  meter.add('bench harness (GitLab double, pipeline driver)', process.pid);
  const pgMeter = new PgMeter(db);
  const lags = new LagWatch(broker.brokers, new Map(groups.map((g) => [`${prefix}${g}`, GROUPS[g].topics.map((t) => `${prefix}${t}`)])));
  const driver = variant === 'gitlab-ci' ? new PipelineDriver(gitlab, system.gatewayUrl, WEBHOOK_SECRET) : null;
  let outcomes: PushOutcome[] = [];
  let codes = new Map<string, number | string>();
  try {
    outcomes = await runHelper<PushOutcome[]>({
      name: `pusher-${slug}`, script: PUSHER, logDir: context.logDir, timeoutMs: (options.examWindowSeconds + 600) * 1000,
      input: { url: system.gatewayUrl, secret: WEBHOOK_SECRET, startAt: Date.now() + 1000, pushes } satisfies PusherInput,
      onStart: (running) => meter.add('students (pusher)', running.pid, true),
    });
    const accepted = outcomes.filter((o) => o.status === 202);
    const lastAnswered = Math.max(...accepted.map((o) => o.answeredAt));
    report.log(section, `${accepted.length}/${outcomes.length} pushes accepted; waiting for every student to be told`);
    const drained = await waitUntilTold(tracker, accepted.map((o) => o.sha), options.drainTimeoutSeconds * 1000,
      (done) => report.log(section, `${done}/${accepted.length} told; lag ${[...lags.latest].map(([g, l]) => `${g.slice(prefix.length)}=${l}`).join(' ')}`),
      () => system.dead());
    // Let anything late (a duplicate) arrive: every group at lag 0, then a quiet second.
    const quietUntil = Date.now() + 60_000;
    while (Date.now() < quietUntil && [...(await lags.sample()).values()].some((lag) => lag > 0)) await delay(250);
    await delay(1500);
    driver?.stop();
    const usage = meter.stop();
    const pg = await pgMeter.stop();
    await lags.stop();

    const told = accepted.filter((o) => tracker.told(o.sha));
    const latencies = told.map((o) => (tracker.finals.get(o.sha)?.[0] ?? 0) - o.answeredAt);
    const firstAccepted = Math.min(...accepted.map((o) => o.answeredAt));
    const lastFinal = Math.max(...told.map((o) => tracker.finals.get(o.sha)?.[0] ?? 0));
    const sustained = told.length / ((lastFinal - firstAccepted) / 1000);
    report.figure(section, 'submissions/s sustained', Number(sustained.toFixed(1)), '/s',
      `${told.length} graded and told between the first accepted push and the last grade (${((lastFinal - firstAccepted) / 1000).toFixed(1)} s); pushes offered at up to ${peakPerSecond}/s`);
    report.figure(section, 'feedback latency p50', Math.round(percentile(latencies, 50)), 'ms', 'push accepted -> graded commit status at the GitLab double');
    report.figure(section, 'feedback latency p95', Math.round(percentile(latencies, 95)), 'ms');
    report.figure(section, 'feedback latency p99', Math.round(percentile(latencies, 99)), 'ms', `max ${Math.round(percentile(latencies, 100))} ms`);
    for (const group of groups) report.figure(section, `peak lag ${group}`, lags.peaks.get(`${prefix}${group}`) ?? 0, 'records', 'sampled every 500 ms');
    report.figure(section, 'time to drain after the last push', Number(((lastFinal - lastAnswered) / 1000).toFixed(1)), 's', 'last push accepted -> last grade at the double');
    if (baseline !== null && variant === 'local') {
      report.figure(section, 'ratio sustained / sandbox `true` rate', Number((sustained / baseline.sandboxPerSecond).toFixed(3)), '');
      report.figure(section, 'ratio sustained / runCheck rate', Number((sustained / baseline.runCheckPerSecond).toFixed(3)), '');
    }
    reportUsage(context, section, usage);
    await reportEventLoopLag(context, section, new Map([...system.urls, ['idle Node process (baseline)', idleUrl]]));
    report.figure(section, 'CPU PostgreSQL backends', Number(pg.cpuSeconds.toFixed(2)), 's', `${pg.backends} backends of the bench database (RSS not meaningful: shared buffers)`);

    await reportStages(context, section, db);

    const lost = accepted.filter((o) => !tracker.told(o.sha)).length;
    const twice = accepted.filter((o) => (tracker.finals.get(o.sha)?.length ?? 0) > 1 || (tracker.comments.get(o.sha) ?? 0) > 1).length;
    const twicePipelines = driver === null ? 0 : [...driver.pipelinesBySha.values()].filter((ids) => ids.length > 1).length;
    const [{ n: submissions } = { n: -1 }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM submissions');
    const [{ n: grades } = { n: -1 }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM grades');
    report.check(section, 'every push accepted', accepted.length === outcomes.length, `${accepted.length}/${outcomes.length} answered 202 (${outcomes.filter((o) => o.status !== 202).map((o) => o.status).join(',') || 'no other answers'})`);
    report.check(section, 'completed', drained, drained ? `all ${accepted.length} students told` : `${accepted.length - lost}/${accepted.length} told within ${options.drainTimeoutSeconds} s`);
    report.check(section, 'lost = 0', lost === 0, `${lost} accepted pushes without a grade status and a comment`);
    report.check(section, 'duplicates = 0', twice === 0 && twicePipelines === 0, `${twice} commits told twice, ${twicePipelines} commits with two pipelines`);
    report.check(section, 'refused = 0', tracker.skipped.size === 0, `${tracker.skipped.size} pushes answered as not checked`);
    report.check(section, 'database agrees', submissions === accepted.length && grades >= accepted.length, `${submissions} submissions, ${grades} grades`);
    if (driver !== null) report.check(section, 'pipeline webhooks accepted', driver.hookFailures === 0, `${driver.hooksPosted} posted, ${driver.hookFailures} failed attempts`);
  } finally {
    driver?.stop();
    await idle.stop(10_000);
    codes = await system.stop();
    await lags.stop().catch(() => {});
    await gitlab.close();
    if (!options.keep) await db.drop();
  }
  report.check(section, 'services stopped cleanly', [...codes.values()].every((c) => c === 0), [...codes].map(([n, c]) => `${n} ${c}`).join(', '));
}

/** Each service's event-loop delay p99 over the whole exam, read from its own /metrics
 * (prom-client's histogram, never scraped before in the run), and its memory at the end. */
async function reportEventLoopLag(context: BenchContext, section: string, urls: ReadonlyMap<string, string>): Promise<void> {
  for (const [name, url] of urls) {
    const text = await fetch(`${url}/metrics`).then((r) => r.text()).catch(() => '');
    const p99 = Number(/^gradeflow_nodejs_eventloop_lag_p99_seconds\s+(\S+)$/m.exec(text)?.[1] ?? Number.NaN);
    const max = Number(/^gradeflow_nodejs_eventloop_lag_max_seconds\s+(\S+)$/m.exec(text)?.[1] ?? Number.NaN);
    context.report.figure(section, `event-loop delay p99 ${name}`, Math.round(p99 * 1000), 'ms', `max ${Math.round(max * 1000)} ms; target p99 <= 50 ms`);
    // Where the resident memory is at the end: V8's heap (reserved / used) and memory outside
    // it (Buffers), to tell a heap grown lazily from data held.
    const mib = (metric: string) => Math.round(Number(new RegExp(`^gradeflow_${metric}\\s+(\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 2 ** 20);
    context.report.figure(section, `V8 heap at the end ${name}`, mib('nodejs_heap_size_total_bytes'), 'MiB', `${mib('nodejs_heap_size_used_bytes')} MiB used, ${mib('nodejs_external_memory_bytes')} MiB external, RSS ${mib('process_resident_memory_bytes')} MiB`);
  }
}
