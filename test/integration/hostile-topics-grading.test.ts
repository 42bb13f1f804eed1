// Hostile records produced straight into grading.completed, pipeline.status and
// pipeline.results, consumed by notification-senders and result-processors with their real
// handlers: each lands in `<prefix>dead-letter` with its reason and origin, none leaves a grade,
// a notification or an event, and the valid record after them is handled.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createCheck, recordSubmission } from '../../src/db/index.ts';
import { EVENTS, TOPICS, createEnvelope, topicName } from '../../src/events/index.ts';
import type { AnyEnvelope } from '../../src/events/index.ts';
import { ENVELOPE_CASES, GRADE_CASES, RESULT_CASES, STATUS_CASES } from '../fixtures/hostile/topic-corpus.ts';
import { shaOf } from '../support/gitlab.ts';
import { assertDeadLettered, exerciseGroup, openTopicBench } from '../support/hostile-topics.ts';
import type { TopicBench, TopicPlan } from '../support/hostile-topics.ts';
import { recordCount } from '../support/topic-offsets.ts';

const work = { course: 'algo', assignment: 'hw1', student: 'grace' } as const;
const SHA = shaOf('grace-work');

/** A test.result for a submission and check that exist: graded as a system error (no report). */
async function validResult(bench: TopicBench): Promise<AnyEnvelope> {
  const { submission } = await recordSubmission(bench.db, { eventId: randomUUID(), ...work, projectId: 90, projectPath: 'algo/hw1/grace', ref: 'refs/heads/main', commitSha: SHA, receivedAt: new Date() });
  const check = await createCheck(bench.db, { id: randomUUID(), submissionId: submission.id, attempt: 1, executor: 'local', priority: 'normal', queuedAt: new Date() });
  const now = new Date().toISOString();
  return createEnvelope(EVENTS.testResult, 'hostile-test', {
    key: 'algo:hw1:grace',
    payload: { checkId: check.id, submissionId: submission.id, ...work, commitSha: SHA, executor: 'local', verdict: 'system-error', message: 'the runner lost the sandbox', source: { kind: 'none' }, logUri: null, startedAt: now, finishedAt: now },
  });
}

const validGrade = (): AnyEnvelope => createEnvelope(EVENTS.gradingCompleted, 'hostile-test', {
  key: 'algo:hw1:grace',
  payload: { gradeId: randomUUID(), submissionId: randomUUID(), ...work, commitSha: SHA, score: 5, maxScore: 10, passed: 1, total: 2, verdict: 'completed', notify: false },
});

const validStatus = (): AnyEnvelope => createEnvelope(EVENTS.pipelineStatus, 'hostile-test', {
  key: 'algo:hw1:grace',
  payload: { submissionId: randomUUID(), ...work, commitSha: SHA, state: 'queued', reason: null },
});

describe('hostile records on grading.completed, pipeline.status and pipeline.results', () => {
  let bench: TopicBench;
  let notifyPlans: TopicPlan[];
  let resultPlans: TopicPlan[];

  before(async () => {
    bench = await openTopicBench();
    notifyPlans = [
      { topic: TOPICS.gradingCompleted.name, valid: validGrade(), cases: [...ENVELOPE_CASES, ...GRADE_CASES] },
      { topic: TOPICS.pipelineStatus.name, valid: validStatus(), cases: [...ENVELOPE_CASES, ...STATUS_CASES] },
    ];
    resultPlans = [{ topic: TOPICS.pipelineResults.name, valid: await validResult(bench), cases: [...ENVELOPE_CASES, ...RESULT_CASES] }];
  });
  after(() => bench?.close());

  // notification-senders first: the grade result-processors emit later must not interleave.
  test('notification-senders: every hostile record is dead-lettered with its reason; the valid records after them are handled', async () => {
    const letters = await exerciseGroup(bench, 'notification-senders', notifyPlans);
    for (const plan of notifyPlans) assertDeadLettered(bench, letters, plan);
    const { rows } = await bench.db.query<{ key: string; channel: string }>('SELECT key, channel FROM notifications');
    const grade = notifyPlans[0]?.valid.payload as { gradeId: string };
    assert.deepEqual(rows, [{ key: `grade:${grade.gradeId}`, channel: 'suppressed' }], 'only the valid grade left a notification record');
  });

  test('result-processors: every hostile record is dead-lettered with its reason; the valid result after them is graded', async () => {
    const letters = await exerciseGroup(bench, 'result-processors', resultPlans);
    for (const plan of resultPlans) assertDeadLettered(bench, letters, plan);
  });

  test('nothing half-written: one grade (the valid result) and its grading.completed, besides the one sent by hand', async () => {
    const { rows } = await bench.db.query<{ verdict: string; student: string }>('SELECT verdict, student FROM grades');
    assert.deepEqual(rows, [{ verdict: 'system-error', student: 'grace' }]);
    assert.equal(await recordCount(bench.env.connection.bootstrapBrokers, [topicName(bench.env.prefix, TOPICS.gradingCompleted.name)]), notifyPlans[0]!.cases.length + 1 + 1);
  });
});
