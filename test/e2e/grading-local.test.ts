// The product's whole job with the built-in runners: students' real git repositories pushed
// through `gradeflow start` (real broker, PostgreSQL, bubblewrap sandbox), graded by the
// course's rules, and answered on the commit in GitLab (the GitLab double records it).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { findFreePorts } from '../../src/kafka/local/ports.ts';
import { startGitLabDouble } from '../support/gitlab-double.ts';
import type { GitLabDouble } from '../support/gitlab-double.ts';
import { postWebhook, pushPayload } from '../support/gitlab.ts';
import { SOLUTIONS, studentRepo, writeGradingCourse } from '../support/grading.ts';
import { testBrokers, uniqueName } from '../support/kafka.ts';
import { createTestDatabase } from '../support/postgres.ts';
import type { TestDatabase } from '../support/postgres.ts';
import { runGradeflow, startGradeflow } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';

const SECRET = 'e2e-course-secret-0123456789';

async function queryDb(url: string, sql: string, params: unknown[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}
const ADMIN = 'e2e-admin-token-0123456789';
const HOUR = 3_600_000;

describe('grading end to end with the local executor', { timeout: 600_000 }, () => {
  let gitlab: GitLabDouble;
  let db: TestDatabase;
  let app: RunningProcess;
  let url: string;
  let dataDir: string;
  const projectIds = new Map<string, number>();
  /** One GitLab project per student and assignment, as a course's project template makes them. */
  const projectOf = (path: string) => {
    if (!projectIds.has(path)) projectIds.set(path, 100 + projectIds.size);
    return projectIds.get(path) as number;
  };

  before(async () => {
    gitlab = await startGitLabDouble();
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'gradeflow-grading-'));
    // mkdtemp makes it private (0700); the sandbox user must be able to reach its work dir inside.
    await chmod(dataDir, 0o755);
    const now = Date.now();
    const courses = writeGradingCourse(SECRET, [
      { slug: 'hw1', deadline: new Date(now + 24 * HOUR) },
      { slug: 'late', deadline: new Date(now - HOUR), extra: [`late: { penaltyPercentPerDay: 10, cutoff: ${new Date(now + 24 * HOUR).toISOString().replace('Z', '+00:00')} }`] },
      { slug: 'closed', deadline: new Date(now - 48 * HOUR), extra: [`late: { penaltyPercentPerDay: 10, cutoff: ${new Date(now - 24 * HOUR).toISOString().replace('Z', '+00:00')} }`] },
      { slug: 'limited', deadline: new Date(now + 24 * HOUR), extra: ['attempts: { perHour: 5, max: 1 }'] },
      { slug: 'lastonly', deadline: new Date(now + 24 * HOUR), extra: ['counts: last'] },
    ]);
    const [port] = await findFreePorts(1);
    url = `http://127.0.0.1:${port}`;
    app = startGradeflow(['start'], {
      KAFKA_BROKERS: testBrokers().join(','), KAFKA_TOPIC_PREFIX: `${uniqueName('grading')}.`, KAFKA_REPLICATION_FACTOR: '1',
      DATABASE_URL: db.url, PORT: String(port), GRADEFLOW_COURSES_DIR: courses, GRADEFLOW_DATA_DIR: dataDir,
      GITLAB_URL: gitlab.url, GITLAB_TOKEN: gitlab.token, GRADEFLOW_ADMIN_TOKEN: ADMIN, GRADEFLOW_PUBLIC_URL: 'https://grades.example.org',
      GRADEFLOW_RUNNER_CONCURRENCY: '1', LOG_LEVEL: 'warn',
    });
    await app.waitForOutput('Press Ctrl-C to stop.');
  });

  after(async () => {
    const exit = await app?.stop('SIGTERM');
    await db?.drop();
    await gitlab?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    assert.equal(exit, 0, app?.output().slice(-3000));
  });

  async function push(assignment: string, student: string, repo: { url: string }, sha: string, ref = 'refs/heads/main') {
    const path = `algo-e2e/${assignment}/${student}`;
    const body = pushPayload({ path, projectId: projectOf(path), sha, ref, repoUrl: repo.url });
    const answer = await postWebhook(url, body, { token: SECRET, idempotencyKey: randomUUID() });
    assert.equal(answer.status, 202, JSON.stringify(answer.json));
    return body;
  }

  const finalStatus = (sha: string) => waitFor(`final status of ${sha.slice(0, 8)}`, () => {
    const final = gitlab.statuses.filter((s) => s.sha === sha && s.state !== 'pending' && s.state !== 'running');
    return final.length > 0 && final;
  }, { timeoutMs: 120_000 });
  const commentsOn = (sha: string) => gitlab.notes.filter((n) => n.kind === 'commit' && n.target === sha);

  test('correct, partly correct and broken solutions get 100, 57.75 and 0, told on the commit', async () => {
    const solutions = { correct: SOLUTIONS.correct, partial: SOLUTIONS.partial, broken: SOLUTIONS.broken };
    const shas: Record<string, string> = {};
    for (const [student, code] of Object.entries(solutions)) {
      const repo = studentRepo();
      shas[student] = repo.commit({ 'sort.js': code });
      await push('hw1', student, repo, shas[student]!);
    }
    const [correct, partial, broken] = await Promise.all([finalStatus(shas.correct!), finalStatus(shas.partial!), finalStatus(shas.broken!)]);
    assert.equal(correct[0]?.state, 'success');
    assert.match(correct[0]?.description ?? '', /Score 100\/100 \(4\/4 tests\)/);
    assert.equal(partial[0]?.state, 'failed');
    assert.match(partial[0]?.description ?? '', /Score 57\.\d+\/100 \(3\/4 tests\)/);
    assert.equal(broken[0]?.state, 'failed');
    assert.match(broken[0]?.description ?? '', /Score 0\/100/);
    assert.equal(correct[0]?.name, 'gradeflow');
    assert.match(correct[0]?.targetUrl ?? '', /^https:\/\/grades\.example\.org\/api\/submissions\/[0-9a-f-]{36}$/);
    await waitFor('one comment per graded commit', () => Object.values(shas).every((sha) => commentsOn(sha).length === 1));
    const partialComment = commentsOn(shas.partial!)[0]?.body ?? '';
    assert.match(partialComment, /sorts negative numbers/);
    assert.ok(partialComment.indexOf('sorts negative numbers') < partialComment.indexOf('sorts an empty array'), 'failed tests first');
    const statusesSeen = gitlab.statuses.filter((s) => s.sha === shas.correct).map((s) => s.state);
    assert.ok(statusesSeen.includes('pending'), `a pending status while queued: ${statusesSeen.join(',')}`);
  });

  test('gradeflow regrade re-checks the counting submission; an unchanged score tells the student nothing', async () => {
    const statusesBefore = gitlab.statuses.length;
    const notesBefore = gitlab.notes.length;
    const result = await runGradeflow(['regrade', '--course', 'algo-e2e', '--assignment', 'hw1', '--student', 'correct'], {
      GRADEFLOW_API_URL: url, GRADEFLOW_ADMIN_TOKEN: ADMIN,
    });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /1 submission\(s\) queued for re-grading/);
    const auth = { authorization: `Bearer ${ADMIN}` };
    const list = await (await fetch(`${url}/api/submissions?student=correct`, { headers: auth })).json() as { submissions: Array<{ id: string }> };
    await waitFor('the re-grade ran', async () => {
      const { rows } = await queryDb(db.url, "SELECT count(*) AS n FROM checks WHERE submission_id = $1 AND status = 'finished'", [list.submissions[0]?.id]);
      return Number(rows[0].n) === 2;
    }, { timeoutMs: 120_000 });
    const unknown = await runGradeflow(['regrade', '--course', 'algo-e2e', '--assignment', 'nope'], { GRADEFLOW_API_URL: url, GRADEFLOW_ADMIN_TOKEN: ADMIN });
    assert.equal(unknown.code, 2);
    assert.match(unknown.output, /no assignment nope/);
    assert.equal(gitlab.notes.length, notesBefore, 'no new comment: the score did not change');
    assert.equal(gitlab.statuses.filter((s) => s.state === 'success' || s.state === 'failed').length, gitlab.statuses.slice(0, statusesBefore).filter((s) => s.state === 'success' || s.state === 'failed').length);
  });

  test('the API shows score, per-test results, the six times, and links to log and report', async () => {
    const repo = studentRepo();
    const sha = repo.commit({ 'sort.js': SOLUTIONS.partial });
    await push('hw1', 'api-student', repo, sha);
    await finalStatus(sha);
    const auth = { authorization: `Bearer ${ADMIN}` };
    const list = await (await fetch(`${url}/api/submissions?student=api-student`, { headers: auth })).json() as { submissions: Array<{ id: string }> };
    const id = list.submissions[0]?.id;
    const detail = await waitFor('notified time', async () => {
      const body = await (await fetch(`${url}/api/submissions/${id}`, { headers: auth })).json() as Record<string, any>;
      return body.times?.notified !== null && body;
    });
    assert.equal(detail.score, 57.75);
    assert.equal(detail.maxScore, 100);
    assert.equal(detail.tests.length, 4);
    for (const time of ['received', 'queued', 'started', 'finished', 'graded', 'notified']) assert.ok(detail.times[time], `time ${time}`);
    const log = await fetch(`${url}${detail.links.log}`, { headers: auth });
    assert.equal(log.status, 200);
    const report = await fetch(`${url}${detail.links.report}`, { headers: auth });
    assert.match(await report.text(), /<testsuites|<testsuite/);
    const csv = await (await fetch(`${url}/api/grades?course=algo-e2e&assignment=hw1&format=csv`, { headers: auth })).text();
    assert.match(csv, /api-student/);
  });

  test('a late push is graded with its penalty; a push after the cutoff is refused with the reason', async () => {
    const repo = studentRepo();
    const sha = repo.commit({ 'sort.js': SOLUTIONS.correct });
    await push('late', 'tardy', repo, sha);
    const [late] = await finalStatus(sha);
    assert.match(late?.description ?? '', /Score 90\/100 .*late penalty 10%/);
    const closedRepo = studentRepo();
    const closedSha = closedRepo.commit({ 'sort.js': SOLUTIONS.correct });
    await push('closed', 'tardy', closedRepo, closedSha);
    const [closed] = await finalStatus(closedSha);
    assert.equal(closed?.state, 'skipped');
    await waitFor('a comment saying why', () => commentsOn(closedSha).length === 1);
    assert.match(commentsOn(closedSha)[0]?.body ?? '', /cutoff|closed|deadline/i);
  });

  test('wrong branch, duplicate commit and the attempt limit are refused and explained', async () => {
    const repo = studentRepo();
    const first = repo.commit({ 'sort.js': SOLUTIONS.correct });
    await push('limited', 'eager', repo, first, 'refs/heads/dev');
    const [wrong] = await finalStatus(first);
    assert.equal(wrong?.state, 'skipped');
    assert.match(wrong?.description ?? '', /main/);
    const graded = repo.commit({ 'sort.js': SOLUTIONS.correct }, 'second');
    await push('limited', 'eager', repo, graded);
    await finalStatus(graded);
    const statusesBefore = gitlab.statuses.filter((s) => s.sha === graded).length;
    await push('limited', 'eager', repo, graded);
    await waitFor('a comment on the duplicate', () => commentsOn(graded).some((n) => /already submitted/.test(n.body)));
    assert.equal(gitlab.statuses.filter((s) => s.sha === graded).length, statusesBefore, 'the graded status is never overwritten');
    const third = repo.commit({ 'sort.js': SOLUTIONS.correct }, 'third');
    await push('limited', 'eager', repo, third);
    const [limit] = await finalStatus(third);
    assert.equal(limit?.state, 'skipped');
    assert.match(commentsOn(third)[0]?.body ?? (await waitFor('limit comment', () => commentsOn(third)[0]?.body)), /limit/i);
  });

  test('with counts: last, a queued push overtaken by a newer one is skipped as superseded', async () => {
    const blocker = studentRepo();
    const blockerSha = blocker.commit({ 'sort.js': SOLUTIONS.slowCorrect });
    await push('hw1', 'blocker', blocker, blockerSha);
    await waitFor('the blocker running', () => gitlab.statuses.some((s) => s.sha === blockerSha && s.state === 'running'), { timeoutMs: 60_000 });
    const repo = studentRepo();
    const older = repo.commit({ 'sort.js': SOLUTIONS.partial });
    await push('lastonly', 'hasty', repo, older);
    const newer = repo.commit({ 'sort.js': SOLUTIONS.correct }, 'fix');
    await push('lastonly', 'hasty', repo, newer);
    const [olderStatus] = await finalStatus(older);
    const [newerStatus] = await finalStatus(newer);
    assert.equal(olderStatus?.state, 'skipped');
    assert.match(olderStatus?.description ?? '', /newer/i);
    assert.equal(newerStatus?.state, 'success');
  });
});
