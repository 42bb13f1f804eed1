import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { admitSubmission, createCheck } from './checks.ts';
import {
  CLAIMED_DETAIL, claimNotification, claimNotifications, completeNotification, findNotifyTarget, listNotifications, loadGradeNotice,
  releaseNotification, stampNotified,
} from './notifications.ts';
import { recordSubmission } from './submissions.ts';
import type { Queryable } from './database.ts';
import { backendTest } from './testing.ts';

async function submission(db: Queryable, ref = 'refs/heads/main', sha = 'c'.repeat(40)): Promise<string> {
  const { submission } = await recordSubmission(db, {
    eventId: randomUUID(), course: 'algo', assignment: 'hw1', student: 'alice', projectId: 42, projectPath: 'algo/hw1/alice',
    ref, commitSha: sha, receivedAt: new Date('2026-11-25T10:00:00Z'),
  });
  return submission.id;
}

backendTest('findNotifyTarget can say how many checks wait ahead, in the same query', async ({ db }) => {
  const ids = [await submission(db, 'refs/heads/main', 'd'.repeat(40)), await submission(db, 'refs/heads/main', 'e'.repeat(40)), await submission(db, 'refs/heads/main', 'f'.repeat(40))];
  for (const [i, id] of ids.entries()) {
    await admitSubmission(db, { submissionId: id, priority: i === 2 ? 'exam' : 'normal', late: false, queuedAt: new Date(Date.UTC(2026, 10, 25, 10, i)), branch: 'main', repoUrl: null, projectWebUrl: null });
  }
  assert.equal((await findNotifyTarget(db, ids[1]!, { queuePosition: true }))?.queuePosition, 1, 'the normal one queued before it');
  assert.equal((await findNotifyTarget(db, ids[2]!, { queuePosition: true }))?.queuePosition, 0, 'an exam check waits behind no normal one');
  assert.equal((await findNotifyTarget(db, ids[0]!, { queuePosition: true }))?.queuePosition, 0);
  assert.equal((await findNotifyTarget(db, ids[1]!))?.queuePosition, undefined, 'not asked, not read');
  assert.equal(await findNotifyTarget(db, randomUUID(), { queuePosition: true }), null);
});

backendTest('a claim is taken once; released, it can be taken again; completed, it keeps its detail', async ({ db }) => {
  assert.equal(await claimNotification(db, 'grade:1', 'email'), 'claimed');
  assert.equal(await claimNotification(db, 'grade:1', 'email'), 'in-progress');
  assert.equal(await claimNotification(db, 'grade:1', 'webhook'), 'claimed', 'channels are independent');
  assert.deepEqual((await listNotifications(db, 'grade:1')).map((n) => [n.channel, n.detail]), [['email', CLAIMED_DETAIL], ['webhook', CLAIMED_DETAIL]]);
  await releaseNotification(db, 'grade:1', 'email');
  assert.equal(await claimNotification(db, 'grade:1', 'email'), 'claimed');
  await completeNotification(db, 'grade:1', 'email', 'sent');
  assert.equal(await claimNotification(db, 'grade:1', 'email'), 'sent');
  assert.equal((await listNotifications(db, 'grade:1')).find((n) => n.channel === 'email')?.detail, 'sent');
});

backendTest('a claim older than the lease is taken over once (its sender died); a sent one never is', async ({ db }) => {
  assert.equal(await claimNotification(db, 'grade:2', 'gitlab-comment'), 'claimed');
  assert.equal(await claimNotification(db, 'grade:2', 'gitlab-status'), 'claimed');
  await completeNotification(db, 'grade:2', 'gitlab-status', 'success');
  // As if both had been claimed three minutes ago by a sender that is gone now.
  await db.query("UPDATE notifications SET sent_at = now() - interval '3 minutes' WHERE key = 'grade:2'");
  const takeovers = await Promise.all(Array.from({ length: 5 }, () => claimNotification(db, 'grade:2', 'gitlab-comment')));
  assert.deepEqual(takeovers.toSorted(), ['claimed', 'in-progress', 'in-progress', 'in-progress', 'in-progress'], 'exactly one delivery takes it over');
  assert.equal(await claimNotification(db, 'grade:2', 'gitlab-status'), 'sent', 'a completed notification is never sent again, however old');
  assert.equal(await claimNotification(db, 'grade:2', 'gitlab-comment', 0), 'claimed', 'with a zero lease any claim is stale');
});

backendTest('several channels claimed in one statement: each gets the answer a claim of its own would give', async ({ db }) => {
  assert.deepEqual([...await claimNotifications(db, 'grade:3', [])], [], 'no channel, no statement');
  assert.deepEqual(Object.fromEntries(await claimNotifications(db, 'grade:3', ['gitlab-status', 'gitlab-comment', 'gitlab-status'])), {
    'gitlab-status': 'claimed', 'gitlab-comment': 'claimed',
  }, 'a channel named twice is claimed once');
  await completeNotification(db, 'grade:3', 'gitlab-status', 'success');
  assert.deepEqual(Object.fromEntries(await claimNotifications(db, 'grade:3', ['gitlab-status', 'gitlab-comment', 'email'])), {
    email: 'claimed', 'gitlab-status': 'sent', 'gitlab-comment': 'in-progress',
  });
  await db.query("UPDATE notifications SET sent_at = now() - interval '3 minutes' WHERE key = 'grade:3'");
  const takeovers = await Promise.all(Array.from({ length: 4 }, () => claimNotifications(db, 'grade:3', ['gitlab-comment', 'email'])));
  for (const channel of ['gitlab-comment', 'email'] as const) {
    assert.equal(takeovers.filter((claims) => claims.get(channel) === 'claimed').length, 1, `${channel}: exactly one takes the stale claim over`);
  }
});

backendTest('ten concurrent claims of one key and channel: exactly one wins', async ({ db }) => {
  const results = await Promise.all(Array.from({ length: 10 }, () => claimNotification(db, 'status:x:queued', 'gitlab-status')));
  assert.equal(results.filter((r) => r === 'claimed').length, 1);
});

backendTest('the target: project, commit, branch from the decision or else the ref; stamped once', async ({ db }) => {
  const id = await submission(db);
  assert.deepEqual(await findNotifyTarget(db, id), {
    submissionId: id, projectId: 42, commitSha: 'c'.repeat(40), branch: 'main', gradedAt: null, notifiedAt: null,
  });
  await admitSubmission(db, { submissionId: id, priority: 'normal', late: false, queuedAt: new Date(), branch: 'solution', repoUrl: null, projectWebUrl: null });
  assert.equal((await findNotifyTarget(db, id))?.branch, 'solution');
  const first = new Date('2026-11-25T10:05:00Z');
  await stampNotified(db, id, first);
  await stampNotified(db, id, new Date('2026-11-25T11:00:00Z'));
  assert.equal((await findNotifyTarget(db, id))?.notifiedAt?.toISOString(), first.toISOString());
  const { rows } = await db.query<{ status: string }>('SELECT status FROM submissions WHERE id = $1', [id]);
  assert.equal(rows[0]?.status, 'queued', 'the status is left alone');
  assert.equal(await findNotifyTarget(db, randomUUID()), null);
  const tag = await submission(db, 'refs/tags/v1', 'd'.repeat(40));
  assert.equal((await findNotifyTarget(db, tag))?.branch, null);
});

backendTest('a grade with its tests in the grader\'s order and its target, in one query; null for an unknown grade', async ({ db }) => {
  const id = await submission(db);
  const check = await createCheck(db, { id: randomUUID(), submissionId: id, attempt: 1, executor: 'local', priority: 'normal', queuedAt: new Date() });
  const gradeId = randomUUID();
  await db.query(
    `INSERT INTO grades (id, submission_id, check_id, suite_version, policy_version, course, assignment, student, score, max_score,
       raw_score, late_penalty_percent, passed, total, verdict, message, graded_at)
     VALUES ($1, $2, $3, 's1', 'p1', 'algo', 'hw1', 'alice', 63, 100, 70, 10, 1, 2, 'graded', null, now())`,
    [gradeId, id, check.id],
  );
  await db.query(
    `INSERT INTO test_results (grade_id, position, name, status, points, max_points, message)
     VALUES ($1, 2, 'second', 'failed', 0, 30, 'boom'), ($1, 1, 'first', 'passed', 70, 70, null)`,
    [gradeId],
  );
  const notice = await loadGradeNotice(db, gradeId);
  assert.deepEqual(notice?.grade, {
    id: gradeId, submissionId: id, course: 'algo', assignment: 'hw1', student: 'alice', score: 63, maxScore: 100,
    latePenaltyPercent: 10, passed: 1, total: 2, verdict: 'graded', message: null,
    tests: [
      { name: 'first', status: 'passed', points: 70, maxPoints: 70, message: null },
      { name: 'second', status: 'failed', points: 0, maxPoints: 30, message: 'boom' },
    ],
  });
  assert.deepEqual(notice?.target, await findNotifyTarget(db, id), 'the same target as findNotifyTarget');
  assert.equal(notice?.target.branch, 'main');
  const bare = randomUUID();
  await db.query(
    `INSERT INTO grades (id, submission_id, check_id, suite_version, policy_version, course, assignment, student, score, max_score,
       raw_score, passed, total, verdict, message, graded_at)
     VALUES ($1, $2, $3, 's2', 'p1', 'algo', 'hw1', 'alice', 0, 100, 0, 0, 0, 'build-failed', 'no report', now())`,
    [bare, id, check.id],
  );
  assert.deepEqual((await loadGradeNotice(db, bare))?.grade.tests, [], 'a grade without tests has an empty list');
  assert.equal(await loadGradeNotice(db, randomUUID()), null);
});
