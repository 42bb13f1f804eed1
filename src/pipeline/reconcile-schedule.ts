// Runs the reconciler right after each assignment's deadline and late cutoff: the moments when a
// lost webhook costs a student the most. A small grace lets webhooks that are merely slow (GitLab
// queues them behind the push) arrive first, so the reconciler only emits what really went
// missing. One timer is armed for the next moment, never longer than MAX_TIMER_MS, and re-armed
// from the clock each time it fires: setTimeout cannot wait weeks (it overflows past 2^31 ms),
// and a suspended machine or a clock step would otherwise fire at the wrong moment.
//
// Moments that passed shortly before start (within catchUpMs) are reconciled at start: a process
// that was down over a deadline is exactly when webhooks were lost. Reconciling is idempotent, so
// doing it again after a restart costs API calls only.
import type { Course } from '../courses/index.ts';
import type { Logger } from '../logging/index.ts';

export const DEFAULT_GRACE_MS = 2 * 60_000;
export const DEFAULT_CATCH_UP_MS = 24 * 60 * 60_000;
export const DEFAULT_RETRY_MS = 5 * 60_000;
/** A moment whose reconcile failed (GitLab away) is tried this many times in all. */
export const MAX_ATTEMPTS = 3;
export const MAX_TIMER_MS = 6 * 60 * 60_000;

export interface ReconcileMoment {
  readonly course: string;
  readonly assignment: string;
  readonly reason: 'deadline' | 'cutoff';
  /** The deadline or cutoff plus the grace. */
  readonly at: Date;
}

export interface ScheduleTimer {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface ReconcileScheduleOptions {
  readonly courses: readonly Course[];
  /** Resolves with how many projects failed; failures (or a rejection) are retried later. */
  readonly reconcile: (target: { readonly course: string; readonly assignment: string }) => Promise<{ readonly failed: number }>;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly timer?: ScheduleTimer;
  readonly graceMs?: number;
  readonly catchUpMs?: number;
  readonly retryMs?: number;
}

export interface ReconcileSchedule {
  /** The next moment the timer is armed for, or null when none is left. */
  next(): ReconcileMoment | null;
  /** Resolves once the run in progress (if any) has finished and the timer is re-armed. */
  settled(): Promise<void>;
  /** No further runs; waits for the one in progress. */
  stop(): Promise<void>;
}

const realTimer: ScheduleTimer = {
  set: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // Consumers and the HTTP server keep the process alive; a pending reconcile alone must not.
    handle.unref();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Every deadline and cutoff plus the grace, earliest first. */
export function reconcileMoments(courses: readonly Course[], graceMs = DEFAULT_GRACE_MS): ReconcileMoment[] {
  const moments = courses.flatMap((course) =>
    course.assignments.flatMap((assignment) => {
      const at = (time: Date) => new Date(time.getTime() + graceMs);
      const deadline = { course: course.slug, assignment: assignment.slug, reason: 'deadline' as const, at: at(assignment.deadline) };
      if (assignment.late === null) return [deadline];
      return [deadline, { course: course.slug, assignment: assignment.slug, reason: 'cutoff' as const, at: at(assignment.late.cutoff) }];
    }),
  );
  return moments.sort((a, b) => a.at.getTime() - b.at.getTime());
}

interface Pending {
  readonly moment: ReconcileMoment;
  /** When to run: the moment, or later for a retry. */
  due: number;
  attempts: number;
}

export function startReconcileSchedule(options: ReconcileScheduleOptions): ReconcileSchedule {
  const scheduler = new Scheduler(options);
  scheduler.arm();
  return {
    next: () => earliest(scheduler.pending)?.moment ?? null,
    settled: () => scheduler.settled(),
    stop: () => scheduler.stop(),
  };
}

class Scheduler {
  readonly pending: Pending[];
  readonly #options: ReconcileScheduleOptions;
  readonly #now: () => Date;
  readonly #timer: ScheduleTimer;
  #handle: unknown = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(options: ReconcileScheduleOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#timer = options.timer ?? realTimer;
    const since = this.#now().getTime() - (options.catchUpMs ?? DEFAULT_CATCH_UP_MS);
    this.pending = reconcileMoments(options.courses, options.graceMs)
      .filter((moment) => moment.at.getTime() > since)
      .map((moment) => ({ moment, due: moment.at.getTime(), attempts: 0 }));
  }

  /** One timer for the earliest pending moment; when it fires, whatever is due runs, then it re-arms. */
  arm(): void {
    const first = earliest(this.pending);
    if (this.#stopped || first === null) return;
    const wait = Math.min(Math.max(0, first.due - this.#now().getTime()), MAX_TIMER_MS);
    this.#handle = this.#timer.set(() => {
      this.#handle = null;
      this.#running = this.#runDue().finally(() => {
        this.#running = null;
        this.arm();
      });
    }, wait);
  }

  async settled(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#handle !== null) this.#timer.clear(this.#handle);
    this.#handle = null;
    await this.#running?.catch(() => undefined);
  }

  async #runDue(): Promise<void> {
    for (let item = this.#dueItem(); item !== null && !this.#stopped; item = this.#dueItem()) await this.#runOne(item);
  }

  #dueItem(): Pending | null {
    const first = earliest(this.pending);
    return first !== null && first.due <= this.#now().getTime() ? first : null;
  }

  async #runOne(item: Pending): Promise<void> {
    item.attempts += 1;
    const failed = await attempt(this.#options, item.moment);
    if (failed && item.attempts < MAX_ATTEMPTS) {
      item.due = this.#now().getTime() + (this.#options.retryMs ?? DEFAULT_RETRY_MS);
      return;
    }
    this.pending.splice(this.pending.indexOf(item), 1);
    if (failed) this.#options.log.error({ ...describe(item.moment), attempts: item.attempts }, 'reconcile kept failing; run `gradeflow reconcile` by hand');
  }
}

function earliest(pending: readonly Pending[]): Pending | null {
  return pending.reduce<Pending | null>((best, item) => (best === null || item.due < best.due ? item : best), null);
}

/** True when the run failed as a whole or for some projects. */
async function attempt(options: ReconcileScheduleOptions, moment: ReconcileMoment): Promise<boolean> {
  options.log.info(describe(moment), 'reconciling after a deadline');
  try {
    const report = await options.reconcile({ course: moment.course, assignment: moment.assignment });
    if (report.failed > 0) options.log.warn({ ...describe(moment), failed: report.failed }, 'reconcile left projects for a retry');
    return report.failed > 0;
  } catch (error) {
    options.log.warn({ ...describe(moment), err: error }, 'reconcile failed; retrying later');
    return true;
  }
}

function describe(moment: ReconcileMoment): Record<string, string> {
  return { course: moment.course, assignment: moment.assignment, reason: moment.reason, at: moment.at.toISOString() };
}
