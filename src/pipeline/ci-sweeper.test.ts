// Pure parts of the gitlab-ci sweeper: when a check is overdue, and which timeout applies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Assignment, CheckConfig, Course } from '../courses/index.ts';
import { FALLBACK_TIMEOUT_SECONDS, ciConfigOf, isOverdue, shortestTimeout, timeoutMessage } from './ci-sweeper.ts';

function assignment(slug: string, check: CheckConfig | null): Assignment {
  return {
    slug, title: slug, opens: null, deadline: new Date('2099-01-01T00:00:00Z'), exam: false, branch: null, counts: 'best',
    late: null, attempts: { perHour: null, max: null }, check, scoring: { maxScore: 100, weights: {}, default: 1 },
  };
}

const ci = (timeoutSeconds: number): CheckConfig => ({ executor: 'gitlab-ci', project: null, ref: null, variables: {}, report: 'r.xml', timeoutSeconds });
const local: CheckConfig = { executor: 'local', tests: '/t', command: 'make test', report: 'r.xml', timeoutSeconds: 5, memoryMb: 256 };

function courses(...assignments: Assignment[]): ReadonlyMap<string, Course> {
  const course: Course = { slug: 'algo', title: 'Algo', file: 'algo.yaml', gitlab: { projectPath: 'algo/{assignment}/{student}', webhookSecret: null }, notify: { email: null, webhook: null }, assignments };
  return new Map([['algo', course]]);
}

test('a check is overdue only once more than its timeout has passed since it was queued', () => {
  const queued = new Date('2026-01-01T10:00:00Z');
  assert.equal(isOverdue(queued, 60, new Date('2026-01-01T10:00:59Z')), false);
  assert.equal(isOverdue(queued, 60, new Date('2026-01-01T10:01:00Z')), false);
  assert.equal(isOverdue(queued, 60, new Date('2026-01-01T10:01:00.001Z')), true);
});

test('the gitlab-ci check of the assignment is found; a local, missing or unknown one is not', () => {
  const map = courses(assignment('hw1', ci(120)), assignment('hw2', local), assignment('hw3', null));
  assert.equal(ciConfigOf(map, { course: 'algo', assignment: 'hw1' })?.timeoutSeconds, 120);
  assert.equal(ciConfigOf(map, { course: 'algo', assignment: 'hw2' }), null);
  assert.equal(ciConfigOf(map, { course: 'algo', assignment: 'hw3' }), null);
  assert.equal(ciConfigOf(map, { course: 'algo', assignment: 'gone' }), null);
  assert.equal(ciConfigOf(map, { course: 'other', assignment: 'hw1' }), null);
});

test('the shortest gitlab-ci timeout bounds what a sweep reads; local checks do not count', () => {
  assert.equal(shortestTimeout(courses(assignment('hw1', ci(900)), assignment('hw2', ci(300)), assignment('hw3', local))), 300);
  assert.equal(shortestTimeout(courses(assignment('hw1', local))), FALLBACK_TIMEOUT_SECONDS);
  assert.equal(shortestTimeout(courses(assignment('hw1', ci(FALLBACK_TIMEOUT_SECONDS * 2)))), FALLBACK_TIMEOUT_SECONDS);
});

test('only the sweeper\'s own retry is said to be retried: not a first attempt, not a re-grade', () => {
  assert.equal(timeoutMessage({ attempt: 2, priority: 'exam' }, 90), 'The GitLab pipeline did not report back within 90 s (retried once).');
  assert.equal(timeoutMessage({ attempt: 1, priority: 'normal' }, 90), 'The GitLab pipeline did not report back within 90 s.');
  assert.equal(timeoutMessage({ attempt: 3, priority: 'regrade' }, 90), 'The GitLab pipeline did not report back within 90 s.');
});
