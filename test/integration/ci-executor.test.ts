// The gitlab-ci executor end to end, on real PostgreSQL, the real broker and the GitLab double
// over HTTP: starting a pipeline (once), following its webhooks (ci-trackers) and settling
// checks whose webhooks never came (ci-sweeper). "Exactly once" on a topic is checked by
// publishing a marker with the same key afterwards: records of one key stay in order, so
// once the marker is read every earlier record of that key has been read too.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Course, GitlabCiCheck } from '../../src/courses/index.ts';
import { admitSubmission, createCheck, findCheck, listSubmissions, recordSubmission } from '../../src/db/index.ts';
import type { Check, Database, Queryable, Submission } from '../../src/db/index.ts';
import { EVENTS, TOPICS, createEnvelope, decodeEvent, stableId, submissionKey, topicName } from '../../src/events/index.ts';
import type { AnyEnvelope } from '../../src/events/index.ts';
import { GitLabClient } from '../../src/gitlab/index.ts';
import { KafkaEventProducer, provisionTopics } from '../../src/kafka/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { startCiCheck } from '../../src/pipeline/ci-executor.ts';
import type { StartCiCheckInput } from '../../src/pipeline/ci-executor.ts';
import { startCiSweeper } from '../../src/pipeline/ci-sweeper.ts';
import { ciTrackerHandler } from '../../src/pipeline/ci-tracker.ts';
import { testEnv } from '../support/context.ts';
import { startGitLabDouble } from '../support/gitlab-double.ts';
import type { GitLabDouble } from '../support/gitlab-double.ts';
import { gitlabFixture, shaOf } from '../support/gitlab.ts';
import { readTopic } from '../support/kafka-read.ts';
import { migratedTestDatabase } from '../support/postgres.ts';
import { waitFor } from '../support/wait.ts';

const log = createLogger('silent');
const T0 = new Date('2026-05-01T10:00:00Z');
const PROJECT = 42;
const CONFIG: GitlabCiCheck = { executor: 'gitlab-ci', project: null, ref: null, variables: { SUITE: 'hidden' }, report: 'report.xml', timeoutSeconds: 60 };

interface World {
  readonly db: Database;
  readonly gitlab: GitLabDouble;
  readonly client: GitLabClient;
  readonly producer: KafkaEventProducer;
  readonly brokers: readonly string[];
  readonly prefix: string;
  clock: Date;
}

async function world(t: TestContext): Promise<World> {
  const db = await migratedTestDatabase(t);
  const gitlab = await startGitLabDouble();
  t.after(() => gitlab.close());
  const client = new GitLabClient({ baseUrl: gitlab.url, token: gitlab.token, sleep: async () => undefined });
  const { connection, prefix } = testEnv();
  await provisionTopics(connection);
  const producer = new KafkaEventProducer(connection, 'ci-test');
  t.after(() => producer.close());
  return { db, gitlab, client, producer, brokers: connection.bootstrapBrokers, prefix, clock: T0 };
}

const deps = (w: World) => ({ db: w.db, gitlab: w.client, publisher: w.producer, log, now: () => w.clock });

/** An admitted submission of `student` with its first gitlab-ci check, queued at T0. */
async function seed(w: World, student = 'ann', config: GitlabCiCheck = CONFIG): Promise<{ submission: Submission; check: Check; input: StartCiCheckInput }> {
  const sha = shaOf(`${student}-${randomUUID()}`);
  const { submission } = await recordSubmission(w.db, {
    eventId: randomUUID(), course: 'algo', assignment: 'hw1', student, projectId: PROJECT,
    projectPath: `algo/hw1/${student}`, ref: 'refs/heads/main', commitSha: sha, receivedAt: T0,
  });
  await admitSubmission(w.db, { submissionId: submission.id, priority: 'normal', late: false, queuedAt: T0, branch: 'main', repoUrl: null, projectWebUrl: null });
  const check = await createCheck(w.db, {
    id: stableId('check', submission.id, '1'), submissionId: submission.id, attempt: 1, executor: 'gitlab-ci',
    priority: 'normal', queuedAt: T0, gitlabProject: String(config.project ?? PROJECT),
  });
  w.gitlab.setBranchHead(config.project ?? PROJECT, 'main', sha);
  const ci = { id: submission.id, course: 'algo', assignment: 'hw1', student, projectId: PROJECT, projectPath: `algo/hw1/${student}`, branch: 'main', commitSha: sha };
  return { submission, check, input: { check, submission: ci, config } };
}

/** pipeline.json as GitLab would send it for our pipeline, wrapped as the gateway does. */
function pipelineEvent(student: string, projectId: number, pipelineId: number, status: string, finishedAt: string | null = null, variables?: Record<string, string>): AnyEnvelope {
  const body = gitlabFixture('pipeline.json') as Record<string, any>;
  body.project.id = projectId;
  Object.assign(body.object_attributes, { id: pipelineId, status, created_at: '2026-05-01 10:00:05 UTC', finished_at: finishedAt });
  if (variables !== undefined) body.object_attributes.variables = Object.entries(variables).map(([key, value]) => ({ key, value }));
  const payload = { deliveryId: randomUUID(), receivedAt: T0.toISOString(), kind: 'pipeline', course: 'algo', assignment: 'hw1', student, projectId, projectPath: `algo/hw1/${student}`, body };
  return decodeEvent(JSON.stringify(createEnvelope(EVENTS.gitlabEvent, 'test', { key: submissionKey('algo', 'hw1', student), payload })));
}

function tracker(w: World, db: Queryable = w.db) {
  const handler = ciTrackerHandler({ db, publisher: w.producer, now: () => w.clock });
  return (event: AnyEnvelope) => handler(event, { topic: 'gitlab.events', partition: 0, offset: 0n, key: event.key, log });
}

/**
 * The world's database, with `meanwhile` run once right after the tracker's lookup of a check by
 * pipeline returned: another process changing the check between the tracker's read and its write.
 */
function interleaved(w: World, meanwhile: () => Promise<void>): { db: Queryable; ran: () => boolean } {
  let ran = false;
  const db: Queryable = {
    query: async (sql, params) => {
      const result = await w.db.query(sql, params);
      if (!ran && sql.includes('c.pipeline_id = $2')) {
        ran = true;
        await meanwhile();
      }
      return result as never;
    },
  };
  return { db, ran: () => ran };
}

/** Every record of `student` on `topic` up to a marker published now with the same key. */
async function recordsOf(w: World, topic: 'pipelineResults' | 'pipelineStatus', student: string): Promise<AnyEnvelope[]> {
  const marker = stableId('marker', randomUUID());
  const common = { submissionId: marker, course: 'algo', assignment: 'hw1', student, commitSha: '0'.repeat(40) };
  const key = submissionKey('algo', 'hw1', student);
  if (topic === 'pipelineResults') {
    const now = T0.toISOString();
    await w.producer.publish(EVENTS.testResult, { id: marker, key, payload: { ...common, checkId: marker, executor: 'gitlab-ci', verdict: 'completed', message: 'marker', source: { kind: 'none' }, logUri: null, startedAt: now, finishedAt: now } });
  } else {
    await w.producer.publish(EVENTS.pipelineStatus, { id: marker, key, payload: { ...common, state: 'queued', reason: null } });
  }
  const records = await readTopic(w.brokers, topicName(w.prefix, TOPICS[topic].name), (all) => all.some((r) => decodeEvent(r.value).id === marker));
  return records.map((r) => decodeEvent(r.value)).filter((e) => e.key === key && e.id !== marker);
}

const pipelineCalls = (w: World) => w.gitlab.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/pipeline'));

test('startCiCheck creates one pipeline with the submission variables, and only one however often it is called', async (t) => {
  const w = await world(t);
  const { check, input } = await seed(w);
  const first = await startCiCheck(deps(w), input);
  const again = await startCiCheck(deps(w), input);
  assert.equal(first.created, true);
  assert.deepEqual(again, { pipelineId: first.pipelineId, created: false, refused: null });
  const calls = pipelineCalls(w);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.path, `/api/v4/projects/${PROJECT}/pipeline`);
  const sent = Object.fromEntries((calls[0]?.body as { variables: Array<{ key: string; value: string }> }).variables.map((v) => [v.key, v.value]));
  assert.deepEqual(sent, {
    SUITE: 'hidden', GRADEFLOW_SUBMISSION_ID: input.submission.id, GRADEFLOW_CHECK_ID: check.id, GRADEFLOW_COURSE: 'algo',
    GRADEFLOW_ASSIGNMENT: 'hw1', GRADEFLOW_STUDENT: 'ann', GRADEFLOW_PROJECT_PATH: 'algo/hw1/ann',
    GRADEFLOW_PROJECT_ID: String(PROJECT), GRADEFLOW_COMMIT_SHA: input.submission.commitSha,
  });
  const stored = await findCheck(w.db, check.id);
  assert.equal(stored?.status, 'queued', 'queued until GitLab says running');
  assert.equal(stored?.pipelineId, first.pipelineId);
  assert.equal(stored?.gitlabProject, String(PROJECT));
});

test('a central grading project named by path is stored by the numeric id its webhooks carry', async (t) => {
  const w = await world(t);
  const { check, input } = await seed(w, 'bob', { ...CONFIG, project: 'staff/grader' });
  const { pipelineId } = await startCiCheck(deps(w), input);
  assert.equal(pipelineCalls(w)[0]?.path, '/api/v4/projects/staff%2Fgrader/pipeline');
  const numericId = (await w.client.getPipeline('staff/grader', pipelineId ?? -1)).projectId;
  assert.equal((await findCheck(w.db, check.id))?.gitlabProject, String(numericId));
  await tracker(w)(pipelineEvent('bob', numericId, pipelineId ?? -1, 'running'));
  assert.equal((await findCheck(w.db, check.id))?.status, 'running');
});

test('running, then success handled twice: one running status, one test.result; late and foreign webhooks change nothing', async (t) => {
  const w = await world(t);
  const { check, input, submission } = await seed(w);
  const { pipelineId } = await startCiCheck(deps(w), input);
  const id = pipelineId ?? -1;
  const handle = tracker(w);
  w.clock = new Date('2026-05-01T10:00:10Z');
  await handle(pipelineEvent('ann', PROJECT, id, 'running'));
  await handle(pipelineEvent('ann', PROJECT, id, 'running'));
  assert.equal((await findCheck(w.db, check.id))?.status, 'running');
  assert.equal((await listSubmissions(w.db, { student: 'ann' }))[0]?.status, 'running');
  w.clock = new Date('2026-05-01T10:05:00Z');
  const success = pipelineEvent('ann', PROJECT, id, 'success', '2026-05-01 10:02:00 UTC');
  await handle(success);
  await handle(success);
  await handle(pipelineEvent('ann', PROJECT, id, 'running'));
  await handle(pipelineEvent('ann', PROJECT, 999_999, 'failed', '2026-05-01 10:03:00 UTC'));
  await handle(pipelineEvent('ann', PROJECT + 1, id, 'failed', '2026-05-01 10:03:00 UTC'));
  assert.equal((await findCheck(w.db, check.id))?.status, 'finished');
  const statuses = await recordsOf(w, 'pipelineStatus', 'ann');
  assert.deepEqual(statuses.map((e) => e.id), [stableId('pipeline.status', check.id, 'running')]);
  const results = await recordsOf(w, 'pipelineResults', 'ann');
  assert.equal(results.length, 1);
  const result = results[0];
  assert.equal(result?.type, 'test.result');
  if (result?.type !== 'test.result') return;
  assert.equal(result.id, stableId('test.result', check.id));
  assert.deepEqual(result.payload.source, { kind: 'gitlab', projectId: PROJECT, pipelineId: id });
  assert.equal(result.payload.submissionId, submission.id);
  assert.equal(result.payload.verdict, 'completed');
  assert.equal(result.payload.startedAt, '2026-05-01T10:00:10.000Z');
  assert.equal(result.payload.finishedAt, '2026-05-01T10:02:00.000Z');
});

test('a pipeline that finished before its id was stored: its webhook is retried, not dropped, and then counts', async (t) => {
  const w = await world(t);
  const { check } = await seed(w, 'cleo');
  const handle = tracker(w);
  // GitLab created pipeline 4242 for the check and finished it; the orchestrator has not stored
  // the id yet. The webhook names the check among its variables.
  const early = pipelineEvent('cleo', PROJECT, 4242, 'success', '2026-05-01 10:02:00 UTC', { GRADEFLOW_CHECK_ID: check.id });
  await assert.rejects(handle(early), { code: 'CI_PIPELINE_NOT_ATTACHED', retryable: true });
  assert.equal((await findCheck(w.db, check.id))?.status, 'queued');
  await w.db.query('UPDATE checks SET pipeline_id = 4242 WHERE id = $1', [check.id]);
  await handle(early);
  assert.equal((await findCheck(w.db, check.id))?.status, 'finished');
  // A pipeline naming a check that has another pipeline (a concurrent start left it unfollowed)
  // or naming no check at all is ignored, not retried.
  await handle(pipelineEvent('cleo', PROJECT, 4343, 'failed', '2026-05-01 10:03:00 UTC', { GRADEFLOW_CHECK_ID: check.id }));
  await handle(pipelineEvent('cleo', PROJECT, 4444, 'failed', '2026-05-01 10:03:00 UTC', { GRADEFLOW_CHECK_ID: randomUUID() }));
  assert.equal((await recordsOf(w, 'pipelineResults', 'cleo')).length, 1);
});

test('a pipeline stored with its check between the tracker\'s two lookups is applied, not ignored', async (t) => {
  const w = await world(t);
  const { check } = await seed(w, 'dora');
  // The orchestrator stores pipeline 4545 just after the tracker looked the pipeline up and found
  // no check: the tracker's second lookup (by GRADEFLOW_CHECK_ID) sees it stored.
  const store = interleaved(w, async () => {
    await w.db.query('UPDATE checks SET gitlab_project = $2, pipeline_id = 4545 WHERE id = $1', [check.id, String(PROJECT)]);
  });
  await tracker(w, store.db)(pipelineEvent('dora', PROJECT, 4545, 'success', '2026-05-01 10:02:00 UTC', { GRADEFLOW_CHECK_ID: check.id }));
  assert.equal(store.ran(), true, 'the pipeline was stored between the two lookups');
  assert.equal((await findCheck(w.db, check.id))?.status, 'finished');
  assert.deepEqual((await recordsOf(w, 'pipelineResults', 'dora')).map((e) => e.id), [stableId('test.result', check.id)]);
});

test('a running webhook for a check closed meanwhile leaves check and submission as they are', async (t) => {
  const w = await world(t);
  const { check, submission, input } = await seed(w, 'eli');
  const { pipelineId } = await startCiCheck(deps(w), input);
  // A result closes the check (and grades the submission) after the tracker read it queued.
  const close = interleaved(w, async () => {
    await w.db.query("UPDATE checks SET status = 'finished' WHERE id = $1", [check.id]);
    await w.db.query("UPDATE submissions SET status = 'graded' WHERE id = $1", [submission.id]);
  });
  await tracker(w, close.db)(pipelineEvent('eli', PROJECT, pipelineId ?? -1, 'running'));
  assert.equal(close.ran(), true);
  assert.equal((await findCheck(w.db, check.id))?.status, 'finished');
  assert.equal((await listSubmissions(w.db, { student: 'eli' }))[0]?.status, 'graded', 'not moved back to running');
});

test('a canceled pipeline is a system error, and a branch that moved on is told with the result', async (t) => {
  const w = await world(t);
  const { input } = await seed(w);
  w.gitlab.setBranchHead(PROJECT, 'main', shaOf('newer push'));
  const { pipelineId } = await startCiCheck(deps(w), input);
  await tracker(w)(pipelineEvent('ann', PROJECT, pipelineId ?? -1, 'canceled', '2026-05-01 10:01:00 UTC'));
  const [result] = await recordsOf(w, 'pipelineResults', 'ann');
  assert.equal(result?.type === 'test.result' && result.payload.verdict, 'system-error');
  assert.match(result?.type === 'test.result' ? result.payload.message : '', /canceled.*not the submitted commit/s);
});

test('a pipeline GitLab refuses to create closes the check with one system-error result', async (t) => {
  const w = await world(t);
  const { check, input } = await seed(w, 'cid', { ...CONFIG, ref: 'no-such-branch' });
  const first = await startCiCheck(deps(w), input);
  const again = await startCiCheck(deps(w), input);
  assert.match(first.refused ?? '', /GitLab refused to start the check pipeline \(HTTP 400: .*Reference not found/);
  assert.deepEqual(again, first);
  assert.equal(pipelineCalls(w).length, 1);
  assert.equal((await findCheck(w.db, check.id))?.status, 'error');
  const results = await recordsOf(w, 'pipelineResults', 'cid');
  assert.deepEqual(results.map((e) => e.type === 'test.result' && [e.id, e.payload.verdict, e.payload.source.kind]), [[stableId('test.result', check.id), 'system-error', 'none']]);
});

function courses(timeoutSeconds: number): ReadonlyMap<string, Course> {
  const hw1 = {
    slug: 'hw1', title: 'hw1', opens: null, deadline: new Date('2099-01-01T00:00:00Z'), exam: false, branch: null, counts: 'best' as const,
    late: null, attempts: { perHour: null, max: null }, check: { ...CONFIG, timeoutSeconds }, scoring: { maxScore: 100, weights: {}, default: 1 },
  };
  const course: Course = {
    slug: 'algo', title: 'Algo', file: 'algo.yaml', gitlab: { projectPath: 'algo/{assignment}/{student}', webhookSecret: null },
    notify: { email: null, webhook: null }, assignments: [hw1],
  };
  return new Map([['algo', course]]);
}

test('the sweeper retries an overdue check once, ignores the late webhook of the first, then reports a system error', async (t) => {
  const w = await world(t);
  const { check, input, submission } = await seed(w);
  const first = await startCiCheck(deps(w), input);
  const sweeper = startCiSweeper({ db: w.db, gitlab: w.client, publisher: w.producer, courses: courses(60), log, intervalMs: 3_600_000, now: () => w.clock });
  t.after(() => sweeper.stop());
  w.clock = new Date(T0.getTime() + 60_000);
  assert.equal((await sweeper.sweepOnce()).overdue, 0, 'not overdue at exactly the timeout');
  w.clock = new Date(T0.getTime() + 61_000);
  assert.deepEqual(await sweeper.sweepOnce(), { overdue: 1, finished: 0, retried: 1, timedOut: 0, failed: 0 });
  assert.deepEqual(await sweeper.sweepOnce(), { overdue: 0, finished: 0, retried: 0, timedOut: 0, failed: 0 });
  const retryId = stableId('check', submission.id, '2');
  const retry = await findCheck(w.db, retryId);
  assert.equal(retry?.attempt, 2);
  assert.equal(pipelineCalls(w).length, 2);
  assert.notEqual(retry?.pipelineId, first.pipelineId);
  assert.equal((await findCheck(w.db, check.id))?.status, 'timed-out');
  await tracker(w)(pipelineEvent('ann', PROJECT, first.pipelineId ?? -1, 'success', '2026-05-01 10:01:30 UTC'));
  assert.equal((await findCheck(w.db, check.id))?.status, 'timed-out', 'a late webhook does not reopen the check');
  w.clock = new Date(T0.getTime() + 122_000);
  assert.deepEqual(await sweeper.sweepOnce(), { overdue: 1, finished: 0, retried: 0, timedOut: 1, failed: 0 });
  assert.equal((await sweeper.sweepOnce()).overdue, 0);
  assert.equal(pipelineCalls(w).length, 2, 'retried once only');
  assert.equal((await findCheck(w.db, retryId))?.status, 'timed-out');
  const results = await recordsOf(w, 'pipelineResults', 'ann');
  assert.equal(results.length, 1);
  const result = results[0];
  if (result?.type !== 'test.result') return assert.fail('expected a test.result');
  assert.equal(result.id, stableId('test.result', retryId));
  assert.equal(result.payload.verdict, 'system-error');
  assert.equal(result.payload.message, 'The GitLab pipeline did not report back within 60 s (retried once).');
});

test('the sweeper uses the result of a pipeline that finished while its webhook was lost', async (t) => {
  const w = await world(t);
  const { check, input } = await seed(w);
  const { pipelineId } = await startCiCheck(deps(w), input);
  w.gitlab.finishPipeline(pipelineId ?? -1, 'failed');
  w.clock = new Date(T0.getTime() + 61_000);
  // The timer drives this sweep: it must run on its own.
  const sweeper = startCiSweeper({ db: w.db, gitlab: w.client, publisher: w.producer, courses: courses(60), log, intervalMs: 20, now: () => w.clock });
  t.after(() => sweeper.stop());
  await waitFor('the check to be closed by the sweeper', async () => (await findCheck(w.db, check.id))?.status === 'finished');
  await sweeper.stop();
  assert.equal(pipelineCalls(w).length, 1, 'no retry for a pipeline that finished');
  const results = await recordsOf(w, 'pipelineResults', 'ann');
  assert.deepEqual(results.map((e) => e.type === 'test.result' && [e.id, e.payload.verdict]), [[stableId('test.result', check.id), 'completed']]);
});
