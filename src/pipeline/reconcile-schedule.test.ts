// The reconcile schedule with a hand-driven clock and timer: nothing waits for real time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment, Course } from '../courses/index.ts';
import { createLogger } from '../logging/index.ts';
import { DEFAULT_GRACE_MS, MAX_ATTEMPTS, MAX_TIMER_MS, reconcileMoments, startReconcileSchedule } from './reconcile-schedule.ts';
import type { ScheduleTimer } from './reconcile-schedule.ts';

const log = createLogger('silent');
const MINUTE = 60_000;
const DEADLINE = new Date('2026-12-01T20:59:00Z');
const CUTOFF = new Date('2026-12-04T20:59:00Z');

function assignment(slug: string, deadline: Date, cutoff: Date | null = null): Assignment {
  return {
    slug, title: slug, opens: null, deadline, exam: false, branch: null, counts: 'best',
    late: cutoff === null ? null : { penaltyPercentPerDay: 10, cutoff }, attempts: { perHour: null, max: null }, check: null,
    scoring: { maxScore: 10, weights: {}, default: 1 },
  };
}

const algo: Course = {
  slug: 'algo', title: 'Algo', file: 'algo.yaml', gitlab: { projectPath: 'algo/{assignment}/{student}', webhookSecret: null },
  notify: { email: null, webhook: null }, assignments: [assignment('hw1', DEADLINE, CUTOFF), assignment('hw0', new Date('2026-11-01T00:00:00Z'))],
};

/** A timer that only records what was armed; the test fires it. */
class FakeTimer implements ScheduleTimer {
  armed: { callback: () => void; ms: number; cleared: boolean }[] = [];
  set(callback: () => void, ms: number): unknown {
    const entry = { callback, ms, cleared: false };
    this.armed.push(entry);
    return entry;
  }
  clear(handle: unknown): void {
    (handle as { cleared: boolean }).cleared = true;
  }
  get last() {
    const entry = this.armed.at(-1);
    assert.ok(entry !== undefined, 'a timer is armed');
    return entry;
  }
}

function setup(start: Date, reconcile: (target: { course: string; assignment: string }) => Promise<{ failed: number }> = async () => ({ failed: 0 })) {
  const clock = { now: start };
  const timer = new FakeTimer();
  const runs: string[] = [];
  const schedule = startReconcileSchedule({
    courses: [algo], log, timer, now: () => clock.now,
    reconcile: async (target) => {
      runs.push(`${target.course}/${target.assignment}@${clock.now.toISOString()}`);
      return reconcile(target);
    },
  });
  /** Moves the clock to `at` and fires the armed timer, as the runtime would at that time. */
  const fireAt = async (at: Date) => {
    clock.now = at;
    timer.last.callback();
    await schedule.settled();
  };
  return { clock, timer, runs, schedule, fireAt };
}

test('moments are each deadline and cutoff plus the grace, earliest first', () => {
  assert.deepEqual(reconcileMoments([algo]).map((m) => [m.assignment, m.reason, m.at.toISOString()]), [
    ['hw0', 'deadline', '2026-11-01T00:02:00.000Z'],
    ['hw1', 'deadline', '2026-12-01T21:01:00.000Z'],
    ['hw1', 'cutoff', '2026-12-04T21:01:00.000Z'],
  ]);
});

test('the timer fires right after the deadline, runs that assignment, then arms for the cutoff', async () => {
  const start = new Date(DEADLINE.getTime() - 30 * MINUTE);
  const { timer, runs, schedule, fireAt } = setup(start);
  assert.equal(timer.last.ms, 30 * MINUTE + DEFAULT_GRACE_MS);
  await fireAt(new Date(DEADLINE.getTime() + DEFAULT_GRACE_MS));
  assert.deepEqual(runs, ['algo/hw1@2026-12-01T21:01:00.000Z']);
  assert.deepEqual([schedule.next()?.reason, timer.last.ms], ['cutoff', MAX_TIMER_MS], 'three days away: the wait is cut');
  await fireAt(new Date(CUTOFF.getTime() + DEFAULT_GRACE_MS + 5));
  assert.deepEqual(runs.length, 2);
  assert.equal(schedule.next(), null);
  assert.equal(timer.armed.length, 2, 'nothing left to arm for');
});

test('a timer that fires early (long waits are cut) only re-arms', async () => {
  const start = new Date(DEADLINE.getTime() - 10 * 24 * 60 * MINUTE);
  const { timer, runs, fireAt } = setup(start);
  assert.equal(timer.last.ms, MAX_TIMER_MS);
  await fireAt(new Date(start.getTime() + MAX_TIMER_MS));
  assert.deepEqual(runs, []);
  assert.equal(timer.armed.length, 2);
  assert.equal(timer.last.ms, MAX_TIMER_MS);
});

test('a deadline that passed shortly before start is reconciled at once; an old one is not', async () => {
  const start = new Date(DEADLINE.getTime() + 3 * 60 * MINUTE);
  const { timer, runs, fireAt } = setup(start);
  assert.equal(timer.last.ms, 0);
  await fireAt(start);
  assert.deepEqual(runs, [`algo/hw1@${start.toISOString()}`], 'hw0 (a month ago) is not caught up');
});

test('a failed run is retried later, a limited number of times', async () => {
  const start = new Date(DEADLINE.getTime() - MINUTE);
  let calls = 0;
  const { timer, runs, schedule, fireAt } = setup(start, async () => {
    calls += 1;
    if (calls === 1) throw new Error('GitLab away');
    return { failed: 1 };
  });
  const due = new Date(DEADLINE.getTime() + DEFAULT_GRACE_MS);
  await fireAt(due);
  assert.equal(schedule.next()?.reason, 'deadline', 'kept for a retry');
  for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt += 1) await fireAt(new Date(due.getTime() + attempt * 5 * MINUTE));
  assert.equal(runs.length, MAX_ATTEMPTS);
  assert.equal(schedule.next()?.reason, 'cutoff', 'given up after the last attempt');
  assert.ok(timer.last.ms > 0);
});

test('stop clears the armed timer', async () => {
  const { timer, schedule } = setup(new Date(DEADLINE.getTime() - MINUTE));
  await schedule.stop();
  assert.equal(timer.last.cleared, true);
});
