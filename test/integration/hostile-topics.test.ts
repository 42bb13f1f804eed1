// Hostile records produced straight into gitlab.push, gitlab.events and check.jobs.*, consumed
// by pipeline-orchestrators, ci-trackers and check-runners with their real handlers: each lands
// in `<prefix>dead-letter` with its reason (dlq-error-code) and origin, nothing of it is
// written (no submission, no status event), and the valid record sent after them is handled.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createCheck, markCheck, recordSubmission } from '../../src/db/index.ts';
import { EVENTS, TOPICS, createEnvelope, topicName } from '../../src/events/index.ts';
import type { AnyEnvelope, LogicalTopic } from '../../src/events/index.ts';
import type { GroupName } from '../../src/pipeline/index.ts';
import { CHECK_JOB_CASES, ENVELOPE_CASES, GITLAB_EVENT_CASES, PUSH_CASES } from '../fixtures/hostile/topic-corpus.ts';
import { shaOf } from '../support/gitlab.ts';
import { assertDeadLettered, exerciseGroup, openTopicBench } from '../support/hostile-topics.ts';
import type { TopicBench, TopicPlan } from '../support/hostile-topics.ts';
import { readAllBytes, recordCount } from '../support/topic-offsets.ts';

const ZERO = '0'.repeat(40);
const event = (envelope: AnyEnvelope): AnyEnvelope => envelope;

function validPush(student: string): AnyEnvelope {
  const sha = shaOf(`${student}-${randomUUID()}`);
  return event(createEnvelope(EVENTS.gitlabPush, 'hostile-test', {
    key: `algo:hw1:${student}`,
    payload: {
      deliveryId: randomUUID(), receivedAt: new Date().toISOString(), course: 'algo', assignment: 'hw1', student,
      project: { id: 77, path: `algo/hw1/${student}`, webUrl: null, httpUrl: null, defaultBranch: 'main' },
      ref: 'refs/heads/main', branch: 'main', before: ZERO, after: sha, checkoutSha: sha, totalCommits: 1,
      commits: [{ id: sha, title: 'work', timestamp: null, authorName: null }], pusher: { id: 1, username: student, name: null },
    },
  }));
}

/** A check.requested for a check that exists and is finished: the runner has nothing to do. */
async function finishedCheckJob(bench: TopicBench, priority: 'exam' | 'normal' | 'regrade'): Promise<AnyEnvelope> {
  const student = `checked-${priority}`;
  const sha = shaOf(`${student}-${randomUUID()}`);
  const { submission } = await recordSubmission(bench.db, { eventId: randomUUID(), course: 'algo', assignment: 'hw1', student, projectId: 78, projectPath: `algo/hw1/${student}`, ref: 'refs/heads/main', commitSha: sha, receivedAt: new Date() });
  const check = await createCheck(bench.db, { id: randomUUID(), submissionId: submission.id, attempt: 1, executor: 'local', priority, queuedAt: new Date() });
  await markCheck(bench.db, check.id, { status: 'finished', at: new Date() });
  return event(createEnvelope(EVENTS.checkRequested, 'hostile-test', {
    key: `algo:hw1:${student}`,
    payload: { checkId: check.id, submissionId: submission.id, course: 'algo', assignment: 'hw1', student, commitSha: sha, projectId: 78, repoUrl: 'file:///nonexistent', priority, attempt: 1, requestedAt: new Date().toISOString() },
  }));
}

describe('hostile records on gitlab.push, gitlab.events and check.jobs.*', () => {
  let bench: TopicBench;
  const plans = new Map<GroupName, TopicPlan[]>();

  before(async () => {
    bench = await openTopicBench();
    const jobs: Array<[LogicalTopic, 'exam' | 'normal' | 'regrade']> = [[TOPICS.checkJobsExam.name, 'exam'], [TOPICS.checkJobsNormal.name, 'normal'], [TOPICS.checkJobsRegrade.name, 'regrade']];
    plans.set('pipeline-orchestrators', [{ topic: TOPICS.gitlabPush.name, valid: validPush('valid-student'), cases: [...ENVELOPE_CASES, ...PUSH_CASES] }]);
    plans.set('ci-trackers', [{
      topic: TOPICS.gitlabEvents.name, cases: [...ENVELOPE_CASES, ...GITLAB_EVENT_CASES],
      valid: event(createEnvelope(EVENTS.gitlabEvent, 'hostile-test', { key: 'project:algo/hw1/x', payload: { deliveryId: randomUUID(), receivedAt: new Date().toISOString(), kind: 'build', course: null, assignment: null, student: null, projectId: 1, projectPath: 'algo/hw1/x', body: { build_id: 1 } } })),
    }]);
    plans.set('check-runners', await Promise.all(jobs.map(async ([topic, priority]) => ({ topic, valid: await finishedCheckJob(bench, priority), cases: [...ENVELOPE_CASES, ...CHECK_JOB_CASES] }))));
  });
  after(() => bench?.close());

  for (const group of ['pipeline-orchestrators', 'ci-trackers', 'check-runners'] as const) {
    test(`${group}: every hostile record is dead-lettered with its reason; the valid record after them is handled`, async () => {
      const groupPlans = plans.get(group) ?? [];
      const letters = await exerciseGroup(bench, group, groupPlans);
      for (const plan of groupPlans) assertDeadLettered(bench, letters, plan);
    });
  }

  test('nothing half-written: the valid push is the one submission and the one status event; no refused record left any', async () => {
    const { rows } = await bench.db.query<{ student: string }>('SELECT student FROM submissions ORDER BY student');
    assert.deepEqual(rows.map((r) => r.student), ['checked-exam', 'checked-normal', 'checked-regrade', 'valid-student']);
    assert.equal(await recordCount(bench.env.connection.bootstrapBrokers, [topicName(bench.env.prefix, TOPICS.pipelineStatus.name)]), 1);
  });

  test('the dead letter of a record that is not UTF-8 keeps its bytes, so it can be re-driven', async () => {
    const letters = await readAllBytes(bench.env.connection.bootstrapBrokers, topicName(bench.env.prefix, TOPICS.deadLetter.name));
    const letter = letters.find((r) => r.headers.get('hostile-case') === `${TOPICS.gitlabPush.name}: bytes that are not UTF-8`);
    assert.ok(letter);
    assert.deepEqual(letter.value, Buffer.from([0xff, 0xfe, 0x7b, 0xc3, 0x28, 0x7d]));
    assert.equal(letter.headers.get('dlq-error-code'), 'EVENT_NOT_UTF8');
  });

  test('a valid event of another type on gitlab.push is dead-lettered, not skipped', async () => {
    const stray = event(createEnvelope(EVENTS.gradingCompleted, 'hostile-test', { key: 'algo:hw1:stray', payload: { gradeId: randomUUID(), submissionId: randomUUID(), course: 'algo', assignment: 'hw1', student: 'stray', commitSha: ZERO, score: 1, maxScore: 1, passed: 1, total: 1, verdict: 'completed', notify: false } }));
    const handled = bench.outcomes(TOPICS.gitlabPush.name).length;
    await bench.send(TOPICS.gitlabPush.name, [{ caseId: 'stray grading.completed', value: JSON.stringify(stray) }]);
    await bench.waitForOutcomes(TOPICS.gitlabPush.name, handled + 1);
    const letters = await bench.deadLetters('pipeline-orchestrators');
    assert.equal(letters.get('stray grading.completed')?.headers.get('dlq-error-code'), 'EVENT_WRONG_TYPE', `outcome: ${bench.outcomes(TOPICS.gitlabPush.name).at(-1)}`);
  });
});
