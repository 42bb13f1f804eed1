import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment } from '../courses/types.ts';
import type { AdmissionDecision, AdmissionInput } from './admission.ts';
import { admitPush, attemptsInLastHour, formatUtc, priorityOf, submissionBranch, supersedes } from './admission.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const deadline = new Date('2026-12-01T20:59:00Z');
const at = (ms: number) => new Date(deadline.getTime() + ms);
const SHA = 'a'.repeat(40);

const assignment = (over: Partial<Assignment> = {}): Assignment => ({
  slug: 'hw1', title: 'Sorting', opens: at(-10 * DAY), deadline, exam: false, branch: null, counts: 'best',
  late: { penaltyPercentPerDay: 10, cutoff: at(3 * DAY) },
  attempts: { perHour: null, max: null },
  check: { executor: 'local', tests: '/t', command: 'true', report: 'report.xml', timeoutSeconds: 60, memoryMb: 512 },
  scoring: { maxScore: 100, weights: {}, default: 1 },
  ...over,
});

const input = (over: Partial<AdmissionInput> = {}, a: Partial<Assignment> = {}): AdmissionInput => ({
  assignment: assignment(a), branch: 'main', defaultBranch: 'main', commitSha: SHA, pushedAt: at(-HOUR),
  history: { checkedCommits: new Set(), attemptsTotal: 0, attemptTimes: [] },
  ...over,
});

const history = (over: Partial<AdmissionInput['history']>) =>
  ({ checkedCommits: new Set<string>(), attemptsTotal: 0, attemptTimes: [], ...over });

const reason = (d: AdmissionDecision) => (d.admit ? 'admitted' : d.reason);
const message = (d: AdmissionDecision) => (d.admit ? '' : d.message);

test('an ordinary push on time is admitted, normal priority, not late', () => {
  assert.deepEqual(admitPush(input()), { admit: true, priority: 'normal', late: false });
});

test('branch: the assignment branch, else the default branch, else main', () => {
  assert.equal(reason(admitPush(input({ branch: 'dev' }))), 'wrong-branch');
  assert.equal(message(admitPush(input({ branch: 'dev' }))), 'Pushes to `dev` are not submissions: push to `main`.');
  assert.equal(reason(admitPush(input({ branch: 'submit' }, { branch: 'submit' }))), 'admitted');
  assert.equal(reason(admitPush(input({ branch: 'main' }, { branch: 'submit' }))), 'wrong-branch');
  assert.equal(reason(admitPush(input({ branch: 'trunk', defaultBranch: 'trunk' }))), 'admitted');
  assert.equal(reason(admitPush(input({ branch: 'main', defaultBranch: 'trunk' }))), 'wrong-branch');
  assert.equal(reason(admitPush(input({ branch: 'main', defaultBranch: null }))), 'admitted');
  assert.equal(submissionBranch({ branch: null }, null), 'main');
});

test('a tag push is refused with its own wording', () => {
  assert.equal(message(admitPush(input({ branch: null }))), 'Tags are not submissions: push to `main`.');
});

test('an assignment without a check is not checked', () => {
  const d = admitPush(input({}, { check: null }));
  assert.equal(reason(d), 'not-checked');
  assert.match(message(d), /`hw1` has no automatic check/);
});

test('opens: refused 1 ms before, admitted exactly at; null opens = always open', () => {
  const opens = at(-5 * DAY);
  const d = admitPush(input({ pushedAt: new Date(opens.getTime() - 1) }, { opens }));
  assert.equal(reason(d), 'not-open');
  assert.equal(message(d), '`hw1` opens at 2026-11-26 20:59 UTC: pushes before then are not submissions.');
  assert.equal(reason(admitPush(input({ pushedAt: opens }, { opens }))), 'admitted');
  assert.equal(reason(admitPush(input({ pushedAt: at(-100 * DAY) }, { opens: null }))), 'admitted');
});

test('exactly at the deadline: admitted, not late; 1 ms after: late', () => {
  assert.deepEqual(admitPush(input({ pushedAt: at(0) })), { admit: true, priority: 'normal', late: false });
  assert.deepEqual(admitPush(input({ pushedAt: at(1) })), { admit: true, priority: 'normal', late: true });
});

test('no late policy: 1 ms after the deadline is refused', () => {
  assert.equal(reason(admitPush(input({ pushedAt: at(0) }, { late: null }))), 'admitted');
  const d = admitPush(input({ pushedAt: at(1) }, { late: null }));
  assert.equal(reason(d), 'after-deadline');
  assert.equal(message(d), 'The deadline (2026-12-01 20:59 UTC) has passed and late submissions are not accepted.');
});

test('exactly at the cutoff: admitted late; 1 ms after: refused', () => {
  assert.deepEqual(admitPush(input({ pushedAt: at(3 * DAY) })), { admit: true, priority: 'normal', late: true });
  const d = admitPush(input({ pushedAt: at(3 * DAY + 1) }));
  assert.equal(reason(d), 'after-cutoff');
  assert.match(message(d), /cutoff \(2026-12-04 20:59 UTC\) has passed/);
});

test('a commit already checked is refused', () => {
  const d = admitPush(input({ history: history({ checkedCommits: new Set([SHA]) }) }));
  assert.equal(reason(d), 'duplicate-commit');
  assert.equal(message(d), 'Commit aaaaaaaa was already checked: push a new commit to be checked again.');
  assert.equal(reason(admitPush(input({ history: history({ checkedCommits: new Set(['b'.repeat(40)]) }) }))), 'admitted');
});

test('total limit: refused when the checks counted reach max', () => {
  const a = { attempts: { perHour: null, max: 5 } };
  assert.equal(reason(admitPush(input({ history: history({ attemptsTotal: 4 }) }, a))), 'admitted');
  const d = admitPush(input({ history: history({ attemptsTotal: 5 }) }, a));
  assert.equal(reason(d), 'attempt-limit-total');
  assert.equal(message(d), 'Attempt limit reached: all 5 checks of `hw1` are used.');
});

test('hourly limit: the window is the 60 minutes before the push, exclusive of its start', () => {
  const pushedAt = new Date('2026-12-01T14:00:00Z');
  const a = { attempts: { perHour: 2, max: null } };
  const push = (times: Date[]) => admitPush(input({ pushedAt, history: history({ attemptTimes: times }) }, a));
  const ago = (ms: number) => new Date(pushedAt.getTime() - ms);
  // Exactly 60 minutes old: out of the window.
  assert.equal(reason(push([ago(HOUR), ago(10 * MIN)])), 'admitted');
  // 1 ms younger: in the window.
  assert.equal(reason(push([ago(HOUR - 1), ago(10 * MIN)])), 'attempt-limit-hour');
  assert.equal(reason(push([ago(10 * MIN)])), 'admitted');
});

test('hourly limit message says when the next push is admitted, rounded up to the minute', () => {
  const pushedAt = new Date('2026-12-01T14:00:00Z');
  const times = [new Date('2026-12-01T13:30:00Z'), new Date('2026-12-01T13:05:00Z'), new Date('2026-12-01T13:40:00Z')];
  const d = admitPush(input({ pushedAt, history: history({ attemptTimes: times }) }, { attempts: { perHour: 3, max: null } }));
  assert.equal(message(d), 'Attempt limit reached: 3 checks in the last hour; next attempt possible at 14:05 UTC.');
  // Four in the window with a limit of 3: two must expire, so the second oldest decides.
  const four = [...times, new Date('2026-12-01T13:50:00Z')];
  const d4 = admitPush(input({ pushedAt, history: history({ attemptTimes: four }) }, { attempts: { perHour: 3, max: null } }));
  assert.match(message(d4), /next attempt possible at 14:30 UTC\.$/);
  const odd = [new Date('2026-12-01T13:04:01Z')];
  const d1 = admitPush(input({ pushedAt, history: history({ attemptTimes: odd }) }, { attempts: { perHour: 1, max: null } }));
  assert.match(message(d1), /at 14:05 UTC\.$/);
});

test('attempts after pushedAt are not in its window', () => {
  const pushedAt = new Date('2026-12-01T14:00:00Z');
  assert.deepEqual(attemptsInLastHour([new Date(pushedAt.getTime() + 1), pushedAt], pushedAt), [pushedAt]);
});

test('order: branch before not-checked before time rules', () => {
  assert.equal(reason(admitPush(input({ branch: 'dev', pushedAt: at(10 * DAY) }, { check: null }))), 'wrong-branch');
  assert.equal(reason(admitPush(input({ pushedAt: at(10 * DAY) }, { check: null }))), 'not-checked');
});

test('order: time rules before duplicate and attempt limits', () => {
  const h = history({ checkedCommits: new Set([SHA]), attemptsTotal: 99 });
  const limits = { attempts: { perHour: 1, max: 1 } };
  assert.equal(reason(admitPush(input({ pushedAt: at(-20 * DAY), history: h }, limits))), 'not-open');
  assert.equal(reason(admitPush(input({ pushedAt: at(1), history: h }, { ...limits, late: null }))), 'after-deadline');
  assert.equal(reason(admitPush(input({ pushedAt: at(4 * DAY), history: h }, limits))), 'after-cutoff');
});

test('order: a duplicate push is not reported as an attempt limit', () => {
  const pushedAt = at(-HOUR);
  const h = history({ checkedCommits: new Set([SHA]), attemptsTotal: 99, attemptTimes: [at(-HOUR - MIN)] });
  assert.equal(reason(admitPush(input({ pushedAt, history: h }, { attempts: { perHour: 1, max: 1 } }))), 'duplicate-commit');
});

test('order: the total limit before the hourly one (waiting would not help)', () => {
  const pushedAt = at(-HOUR);
  const h = history({ attemptsTotal: 3, attemptTimes: [at(-HOUR - MIN)] });
  assert.equal(reason(admitPush(input({ pushedAt, history: h }, { attempts: { perHour: 1, max: 3 } }))), 'attempt-limit-total');
  assert.equal(reason(admitPush(input({ pushedAt, history: h }, { attempts: { perHour: 1, max: 4 } }))), 'attempt-limit-hour');
});

test('a regrade skips duplicate and attempt rules but not branch, check and time rules', () => {
  const h = history({ checkedCommits: new Set([SHA]), attemptsTotal: 9, attemptTimes: [at(-HOUR - MIN)] });
  const limits = { attempts: { perHour: 1, max: 1 } };
  assert.deepEqual(admitPush(input({ regrade: true, history: h }, limits)), { admit: true, priority: 'regrade', late: false });
  assert.deepEqual(admitPush(input({ regrade: true, history: h, pushedAt: at(1) }, limits)), { admit: true, priority: 'regrade', late: true });
  assert.equal(reason(admitPush(input({ regrade: true, pushedAt: at(4 * DAY) }))), 'after-cutoff');
  assert.equal(reason(admitPush(input({ regrade: true }, { check: null }))), 'not-checked');
  assert.equal(reason(admitPush(input({ regrade: false, history: h }, limits))), 'duplicate-commit');
});

test('priority: exam work first, regrades last', () => {
  assert.equal(priorityOf({ exam: true }), 'exam');
  assert.equal(priorityOf({ exam: false }), 'normal');
  assert.equal(priorityOf({ exam: true }, true), 'regrade');
  assert.deepEqual(admitPush(input({}, { exam: true })), { admit: true, priority: 'exam', late: false });
});

test('supersedes: only when the latest push is the one that counts', () => {
  assert.equal(supersedes('best'), false);
  assert.equal(supersedes('last'), true);
  assert.equal(supersedes('lastBeforeDeadline'), true);
  const times = (older: number, newer: number) => ({ older: at(older), newer: at(newer), deadline });
  assert.equal(supersedes('lastBeforeDeadline', times(-2, 0)), true);
  assert.equal(supersedes('lastBeforeDeadline', times(1, 2)), true);
  // The on-time push counts once the newer one is late: keep it.
  assert.equal(supersedes('lastBeforeDeadline', times(0, 1)), false);
  assert.equal(supersedes('last', times(0, 1)), true);
  assert.equal(supersedes('best', times(-2, -1)), false);
});

test('formatUtc: the clock alone on the same day, the date otherwise', () => {
  const t = new Date('2026-12-01T23:59:30Z');
  assert.equal(formatUtc(new Date('2026-12-01T14:05:00Z'), new Date('2026-12-01T13:00:00Z')), '14:05 UTC');
  assert.equal(formatUtc(t, new Date('2026-12-01T23:30:00Z')), '2026-12-02 00:00 UTC');
  assert.equal(formatUtc(new Date('2026-12-01T14:05:00Z')), '2026-12-01 14:05 UTC');
});
