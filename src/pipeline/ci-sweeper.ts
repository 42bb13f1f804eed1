// The gitlab-ci sweeper: webhooks can be lost (GitLab does not redeliver on its own) and
// pipelines can hang, so a check still queued or running past its assignment's
// check.timeoutSeconds (counted from queued_at) is settled here:
//   1. GitLab is asked first: a pipeline that finished but whose webhook never came is
//      handled as the tracker would (the better outcome: a real result);
//   2. otherwise attempt 1 is retried once: attempt 2 is created and started, then attempt 1
//      is closed as timed-out;
//   3. a later attempt is closed as timed-out with a system-error test.result.
// Each step is idempotent and the check is closed last, so a sweep that fails half-way (GitLab
// or Kafka away) is simply done again by the next one. Run one sweeper per deployment: two
// racing over the same check could each start a retry pipeline (only one would be followed).
import type { Course, GitlabCiCheck } from '../courses/index.ts';
import type { Queryable } from '../db/index.ts';
import { createCheck } from '../db/index.ts';
import type { EventPublisher } from '../events/index.ts';
import { stableId } from '../events/index.ts';
import type { GitLabClient } from '../gitlab/index.ts';
import { isPipelineFinished } from '../gitlab/index.ts';
import type { Logger } from '../logging/index.ts';
import { startCiCheck } from './ci-executor.ts';
import type { CiExecutorDeps, CiSubmission } from './ci-executor.ts';
import type { CiCheckRow } from './ci-queries.ts';
import { closeCiCheck, listOpenCiChecks } from './ci-queries.ts';
import { applyPipelineState, closeAndPublish } from './ci-tracker.ts';

export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;
/** For a check whose assignment no longer has a gitlab-ci check in the course files. */
export const FALLBACK_TIMEOUT_SECONDS = 3600;

export interface CiSweeperDeps {
  readonly db: Queryable;
  readonly gitlab: GitLabClient;
  readonly publisher: EventPublisher;
  readonly courses: ReadonlyMap<string, Course>;
  readonly log: Logger;
  readonly intervalMs?: number;
  readonly now?: () => Date;
  readonly publicUrl?: string | null;
}

export interface SweepReport {
  /** Overdue checks looked at. */
  readonly overdue: number;
  /** Their pipeline had finished; the webhook was lost. */
  readonly finished: number;
  readonly retried: number;
  readonly timedOut: number;
  /** Left for the next sweep (GitLab, database or Kafka failed). */
  readonly failed: number;
}

export interface CiSweeper {
  /** One sweep now; a sweep already running is joined instead of started twice. */
  sweepOnce(): Promise<SweepReport>;
  /** No further sweeps; waits for the running one. */
  stop(): Promise<void>;
}

export function startCiSweeper(deps: CiSweeperDeps): CiSweeper {
  let inFlight: Promise<SweepReport> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const sweepOnce = (): Promise<SweepReport> => {
    inFlight ??= sweepCiChecks(deps).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      sweepOnce().catch((error: unknown) => deps.log.error({ err: error }, 'gitlab-ci sweep failed')).finally(schedule);
    }, deps.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    // The consumers keep a worker alive; a pending sweep alone must not keep a process running.
    timer.unref();
  };
  schedule();
  return {
    sweepOnce,
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}

type Outcome = 'finished' | 'retried' | 'timedOut';

export async function sweepCiChecks(deps: CiSweeperDeps): Promise<SweepReport> {
  const now = deps.now?.() ?? new Date();
  const candidates = await listOpenCiChecks(deps.db, new Date(now.getTime() - shortestTimeout(deps.courses) * 1000));
  const counts = { overdue: 0, finished: 0, retried: 0, timedOut: 0, failed: 0 };
  for (const row of candidates) {
    const config = ciConfigOf(deps.courses, row);
    const timeoutSeconds = config?.timeoutSeconds ?? FALLBACK_TIMEOUT_SECONDS;
    if (!isOverdue(row.queuedAt, timeoutSeconds, now)) continue;
    counts.overdue += 1;
    try {
      const outcome: Outcome = await sweepCheck(deps, row, config, timeoutSeconds, now);
      counts[outcome] += 1;
    } catch (error) {
      counts.failed += 1;
      deps.log.warn({ err: error, checkId: row.checkId }, 'could not settle an overdue gitlab-ci check; the next sweep tries again');
    }
  }
  if (counts.overdue > 0) deps.log.info(counts, 'gitlab-ci sweep');
  return counts;
}

async function sweepCheck(deps: CiSweeperDeps, row: CiCheckRow, config: GitlabCiCheck | null, timeoutSeconds: number, now: Date): Promise<Outcome> {
  if (await finishedMeanwhile(deps, row, now)) return 'finished';
  if (row.attempt === 1 && config !== null) {
    await retry(deps, row, config, timeoutSeconds, now);
    return 'retried';
  }
  const message = timeoutMessage(row, timeoutSeconds);
  await closeAndPublish({ ...deps, now: () => now }, row, { status: 'timed-out', verdict: 'system-error', message, ...timesOf(row, timeoutSeconds) });
  return 'timedOut';
}

/** True when GitLab says the pipeline finished: the webhook was lost and the result is used now. */
async function finishedMeanwhile(deps: CiSweeperDeps, row: CiCheckRow, now: Date): Promise<boolean> {
  if (row.pipelineId === null || row.gitlabProject === null) return false;
  const project = /^\d+$/.test(row.gitlabProject) ? Number(row.gitlabProject) : row.gitlabProject;
  let status: string;
  try {
    status = (await deps.gitlab.getPipeline(project, row.pipelineId)).status;
  } catch (error) {
    // The timeout decides without GitLab's word; a retry needs GitLab and fails if it is away.
    deps.log.warn({ err: error, checkId: row.checkId, pipeline: row.pipelineId }, 'could not read the pipeline of an overdue check');
    return false;
  }
  if (!isPipelineFinished(status)) return false;
  await applyPipelineState({ ...deps, now: () => now }, row, { status, createdAt: null, finishedAt: null }, deps.log);
  return true;
}

async function retry(deps: CiSweeperDeps, row: CiCheckRow, config: GitlabCiCheck, timeoutSeconds: number, now: Date): Promise<void> {
  const second = await createCheck(deps.db, {
    id: stableId('check', row.submissionId, '2'), submissionId: row.submissionId, attempt: 2, executor: 'gitlab-ci',
    priority: row.priority, queuedAt: now, gitlabProject: String(config.project ?? row.projectId),
  });
  const executor: CiExecutorDeps = { db: deps.db, gitlab: deps.gitlab, publisher: deps.publisher, publicUrl: deps.publicUrl ?? null, log: deps.log, now: () => now };
  await startCiCheck(executor, { check: second, submission: submissionOf(row), config });
  const message = `The GitLab pipeline did not report back within ${timeoutSeconds} s; the check was started once more.`;
  await closeCiCheck(deps.db, row.checkId, { status: 'timed-out', verdict: 'system-error', message, ...timesOf(row, timeoutSeconds) });
  deps.log.info({ checkId: row.checkId, retryCheckId: second.id }, 'overdue gitlab-ci check retried');
}

/** The deadline is the end: the same instant whichever sweep (or a repeat of it) closes the check. */
function timesOf(row: CiCheckRow, timeoutSeconds: number): { startedAt: Date; finishedAt: Date } {
  const startedAt = row.startedAt ?? row.queuedAt;
  const deadline = row.queuedAt.getTime() + timeoutSeconds * 1000;
  return { startedAt, finishedAt: new Date(Math.max(deadline, startedAt.getTime())) };
}

/** What the student is told. A later attempt is the sweeper's retry unless a re-grade made it. */
export function timeoutMessage(check: { attempt: number; priority: string }, timeoutSeconds: number): string {
  const retried = check.attempt >= 2 && check.priority !== 'regrade';
  return `The GitLab pipeline did not report back within ${timeoutSeconds} s${retried ? ' (retried once)' : ''}.`;
}

export function isOverdue(queuedAt: Date, timeoutSeconds: number, now: Date): boolean {
  return now.getTime() - queuedAt.getTime() > timeoutSeconds * 1000;
}

/** The assignment's gitlab-ci check as the course files say now; null when gone or changed. */
export function ciConfigOf(courses: ReadonlyMap<string, Course>, work: { course: string; assignment: string }): GitlabCiCheck | null {
  const check = courses.get(work.course)?.assignments.find((a) => a.slug === work.assignment)?.check;
  return check?.executor === 'gitlab-ci' ? check : null;
}

/** Checks queued more recently than every timeout cannot be overdue: not worth reading. */
export function shortestTimeout(courses: ReadonlyMap<string, Course>): number {
  let shortest = FALLBACK_TIMEOUT_SECONDS;
  for (const course of courses.values()) {
    for (const assignment of course.assignments) {
      if (assignment.check?.executor === 'gitlab-ci') shortest = Math.min(shortest, assignment.check.timeoutSeconds);
    }
  }
  return shortest;
}

function submissionOf(row: CiCheckRow): CiSubmission {
  return {
    id: row.submissionId, course: row.course, assignment: row.assignment, student: row.student,
    projectId: row.projectId, projectPath: row.projectPath, branch: row.branch, commitSha: row.commitSha,
  };
}
