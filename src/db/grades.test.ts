import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Assignment } from '../courses/index.ts';
import { createCheck } from './checks.ts';
import type { Queryable } from './database.ts';
import {
  TEST_RESULT_CHUNK, findGrade, finishGrading, gradeOfSubmission, insertGrade, listCountingGrades, loadGradingTarget,
  submissionDetail, submissionForGrading,
} from './grades.ts';
import type { Grade, GradeTest } from './grades.ts';
import { recordSubmission } from './submissions.ts';
import { backendTest } from './testing.ts';

let commits = 0;

async function seed(db: Queryable, student: string, receivedAt: string): Promise<{ submissionId: string; checkId: string }> {
  commits += 1;
  const { submission } = await recordSubmission(db, {
    eventId: randomUUID(), course: 'algo', assignment: 'hw1', student, projectId: commits, projectPath: `algo/hw1/${student}`,
    ref: 'refs/heads/main', commitSha: commits.toString(16).padStart(40, '0'), receivedAt: new Date(receivedAt),
  });
  const check = await createCheck(db, { id: randomUUID(), submissionId: submission.id, attempt: 1, executor: 'local', priority: 'normal', queuedAt: new Date(receivedAt) });
  return { submissionId: submission.id, checkId: check.id };
}

function grade(ids: { submissionId: string; checkId: string }, student: string, overrides: Partial<Grade> = {}): Grade {
  return {
    id: randomUUID(), ...ids, suiteVersion: 's1', policyVersion: 'p1', course: 'algo', assignment: 'hw1', student,
    score: 50, maxScore: 100, rawScore: 50, latePenaltyPercent: 0, passed: 1, total: 2, verdict: 'graded', message: null,
    gradedAt: new Date('2026-12-01T12:00:00Z'), ...overrides,
  };
}

const TESTS: GradeTest[] = [
  { name: 'a', status: 'passed', points: 1, maxPoints: 1, timeSeconds: 0.5, message: null },
  { name: 'b', status: 'failed', points: 0, maxPoints: 1, timeSeconds: null, message: 'expected 2' },
];

backendTest('insertGrade writes grade and tests once; the same versions find the first grade', async ({ db }) => {
  const ids = await seed(db, 'alice', '2026-11-30T10:00:00Z');
  const first = grade(ids, 'alice');
  assert.deepEqual(await db.transaction((tx) => insertGrade(tx, first, TESTS)), { grade: first, inserted: true });
  const again = await db.transaction((tx) => insertGrade(tx, { ...first, id: randomUUID(), score: 99 }, TESTS));
  assert.deepEqual(again, { grade: first, inserted: false });
  assert.deepEqual(await findGrade(db, first.id), first);
  assert.deepEqual(await gradeOfSubmission(db, ids.submissionId), { ...first, tests: TESTS });
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM test_results');
  assert.equal(Number(rows[0]?.n), 2);
});

backendTest('test results are written in chunks and read back in order', async ({ db }) => {
  const ids = await seed(db, 'bob', '2026-11-30T10:00:00Z');
  const many = Array.from({ length: TEST_RESULT_CHUNK * 2 + 3 }, (_, i): GradeTest => ({ name: `t${i}`, status: 'passed', points: 1, maxPoints: 1, timeSeconds: i, message: null }));
  const g = grade(ids, 'bob', { total: many.length });
  await db.transaction((tx) => insertGrade(tx, g, many));
  const stored = await gradeOfSubmission(db, ids.submissionId);
  assert.deepEqual(stored?.tests.map((t) => t.name), many.map((t) => t.name));
});

backendTest('finishGrading reads the grade just before, whatever came later', async ({ db }) => {
  const ids = await seed(db, 'carol', '2026-11-30T10:00:00Z');
  const at = (h: number) => new Date(Date.UTC(2026, 11, 1, h));
  const [g1, g2, g3] = [grade(ids, 'carol', { suiteVersion: 's1', score: 40, gradedAt: at(1) }),
    grade(ids, 'carol', { suiteVersion: 's2', score: 60, gradedAt: at(2) }), grade(ids, 'carol', { suiteVersion: 's3', score: 70, verdict: 'time-limit', gradedAt: at(3) })];
  for (const g of [g1, g2, g3]) await db.transaction((tx) => insertGrade(tx, g, []));
  // A redelivery of each result, after all three were graded: the check and submission stay.
  const previousOf = (g: Grade) => finishGrading(db, g, { checkId: ids.checkId, finishedAt: g.gradedAt, verdict: g.verdict, message: null, logUri: null, status: null });
  assert.equal(await previousOf(g1), null);
  assert.deepEqual(await previousOf(g2), { score: 40, verdict: 'graded' });
  assert.deepEqual(await previousOf(g3), { score: 60, verdict: 'graded' });
  assert.equal((await gradeOfSubmission(db, ids.submissionId))?.id, g3.id, 'the latest grade is the submission\'s grade');
});

const ASSIGNMENT: Pick<Assignment, 'slug' | 'counts' | 'deadline'> = { slug: 'hw1', counts: 'best', deadline: new Date('2026-12-01T00:00:00Z') };

backendTest('listCountingGrades picks one grade per student by the counts policy, latest grade per submission', async ({ db }) => {
  const early = await seed(db, 'dave', '2026-11-29T10:00:00Z');
  const late = await seed(db, 'dave', '2026-12-02T10:00:00Z');
  const erin = await seed(db, 'erin', '2026-11-30T10:00:00Z');
  await db.transaction(async (tx) => {
    await insertGrade(tx, grade(early, 'dave', { score: 90, gradedAt: new Date('2026-11-29T11:00:00Z') }), []);
    // Re-graded lower: only this latest grade of the submission counts.
    await insertGrade(tx, grade(early, 'dave', { suiteVersion: 's2', score: 30, gradedAt: new Date('2026-12-03T00:00:00Z') }), []);
    await insertGrade(tx, grade(late, 'dave', { score: 72, latePenaltyPercent: 10 }), []);
    await insertGrade(tx, grade(erin, 'erin', { score: 10 }), []);
  });
  const best = await listCountingGrades(db, 'algo', ASSIGNMENT);
  assert.deepEqual(best.map((g) => [g.student, g.submissionId, g.score, g.late, g.latePenaltyPercent]),
    [['dave', late.submissionId, 72, true, 10], ['erin', erin.submissionId, 10, false, 0]]);
  const onTime = await listCountingGrades(db, 'algo', { ...ASSIGNMENT, counts: 'lastBeforeDeadline' });
  assert.deepEqual(onTime.map((g) => [g.student, g.score]), [['dave', 30], ['erin', 10]]);
  assert.deepEqual(await listCountingGrades(db, 'algo', { ...ASSIGNMENT, slug: 'hw2' }), []);
});

backendTest('submissionDetail has the six times, the latest check\'s artifacts and the grade', async ({ db }) => {
  const ids = await seed(db, 'frank', '2026-11-30T10:00:00Z');
  assert.equal((await submissionDetail(db, ids.submissionId))?.grade, null);
  const finishedAt = new Date('2026-11-30T10:01:00Z');
  const g = grade(ids, 'frank', { gradedAt: new Date('2026-11-30T10:01:05Z') });
  await db.transaction(async (tx) => {
    await insertGrade(tx, g, TESTS);
    await finishGrading(tx, g, { checkId: ids.checkId, finishedAt, verdict: 'graded', message: null, logUri: 'artifacts/l', reportUris: ['artifacts/r'], status: 'graded' });
    // A redelivery neither moves the status nor the times.
    await finishGrading(tx, { ...g, gradedAt: new Date() }, { checkId: ids.checkId, finishedAt: new Date(), verdict: 'graded', message: null, logUri: null, status: null });
  });
  const detail = await submissionDetail(db, ids.submissionId);
  assert.equal(detail?.status, 'graded');
  assert.deepEqual(detail?.times, { received: new Date('2026-11-30T10:00:00Z'), queued: null, started: null, finished: finishedAt, graded: g.gradedAt, notified: null });
  assert.deepEqual(detail?.check, { verdict: 'graded', message: null, logUri: 'artifacts/l', reportUris: ['artifacts/r'] });
  assert.deepEqual(detail?.grade, { ...g, tests: TESTS });
  assert.equal(await submissionDetail(db, randomUUID()), null);
  assert.equal((await submissionForGrading(db, ids.submissionId))?.commitSha.length, 40);
});

backendTest('createCheck returns the check it inserted, and the same check when the attempt exists already', async ({ db }) => {
  const ids = await seed(db, 'gina', '2026-11-30T10:00:00Z');
  const again = await createCheck(db, { id: randomUUID(), submissionId: ids.submissionId, attempt: 1, executor: 'gitlab-ci', priority: 'exam', queuedAt: new Date() });
  assert.equal(again.id, ids.checkId, 'the first check of the attempt, not a second one');
  assert.deepEqual([again.executor, again.status, again.attempt], ['local', 'queued', 1]);
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM checks WHERE submission_id = $1', [ids.submissionId]);
  assert.equal(Number(rows[0]?.n), 1);
});

backendTest('loadGradingTarget reads submission, named check and stored grade in one query, each null when absent', async ({ db }) => {
  const ids = await seed(db, 'hana', '2026-11-30T10:00:00Z');
  const other = await seed(db, 'ivan', '2026-11-30T10:00:00Z');
  const g = grade(ids, 'hana');
  const before = await loadGradingTarget(db, { submissionId: ids.submissionId, checkId: ids.checkId, gradeId: g.id });
  assert.deepEqual(before?.submission, await submissionForGrading(db, ids.submissionId));
  assert.equal(before?.check?.id, ids.checkId);
  assert.equal(before?.check?.submissionId, ids.submissionId);
  assert.equal(before?.existing, null, 'no grade stored yet');
  await db.transaction((tx) => insertGrade(tx, g, TESTS));
  assert.deepEqual((await loadGradingTarget(db, { submissionId: ids.submissionId, checkId: ids.checkId, gradeId: g.id }))?.existing, g);
  const foreign = await loadGradingTarget(db, { submissionId: ids.submissionId, checkId: other.checkId, gradeId: randomUUID() });
  assert.equal(foreign?.check?.submissionId, other.submissionId, 'another submission\'s check comes back as it is (the caller refuses it)');
  assert.equal((await loadGradingTarget(db, { submissionId: ids.submissionId, checkId: randomUUID(), gradeId: g.id }))?.check, null);
  assert.equal(await loadGradingTarget(db, { submissionId: randomUUID(), checkId: ids.checkId, gradeId: g.id }), null);
});

backendTest('finishGrading finishes the check, stamps the submission once and reads the grade before', async ({ db }) => {
  const ids = await seed(db, 'jo', '2026-11-30T10:00:00Z');
  const first = grade(ids, 'jo', { score: 40, gradedAt: new Date('2026-11-30T10:01:00Z') });
  const second = grade(ids, 'jo', { suiteVersion: 's2', score: 80, verdict: 'time-limit', gradedAt: new Date('2026-11-30T11:00:00Z') });
  const finishedAt = new Date('2026-11-30T10:00:50Z');
  const check = { checkId: ids.checkId, finishedAt, verdict: 'graded', message: null, logUri: 'artifacts/log', reportUris: ['artifacts/r.xml'], status: 'graded' };
  const previous = await db.transaction(async (tx) => {
    await insertGrade(tx, first, TESTS);
    return finishGrading(tx, first, check);
  });
  assert.equal(previous, null, 'a first grading has no grade before it');
  const detail = await submissionDetail(db, ids.submissionId);
  assert.equal(detail?.status, 'graded');
  assert.deepEqual([detail?.times.finished, detail?.times.graded], [finishedAt, first.gradedAt]);
  assert.deepEqual(detail?.check, { verdict: 'graded', message: null, logUri: 'artifacts/log', reportUris: ['artifacts/r.xml'] });
  // A re-grade: the status and the submission's times stay, the check keeps what is not given.
  const again = await db.transaction(async (tx) => {
    await insertGrade(tx, second, []);
    return finishGrading(tx, second, { checkId: ids.checkId, finishedAt: new Date('2026-11-30T11:00:00Z'), verdict: 'time-limit', message: 'too slow', logUri: null, status: null });
  });
  assert.deepEqual(again, { score: 40, verdict: 'graded' });
  const later = await submissionDetail(db, ids.submissionId);
  assert.equal(later?.status, 'graded');
  assert.deepEqual([later?.times.finished, later?.times.graded], [finishedAt, first.gradedAt]);
  assert.deepEqual(later?.check, { verdict: 'time-limit', message: 'too slow', logUri: 'artifacts/log', reportUris: ['artifacts/r.xml'] });
});
