import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../errors/index.ts';
import type { GitLabClient } from '../gitlab/index.ts';
import type { ArtifactStore } from '../storage/index.ts';
import { readReport } from './report-source.ts';

function store(files: Record<string, string>, failure?: AppError): ArtifactStore {
  return {
    put: () => Promise.reject(new Error('read only')),
    get: async (uri) => {
      if (failure !== undefined) throw failure;
      const text = files[uri];
      if (text === undefined) throw new AppError('ARTIFACT_NOT_FOUND', `No artifact ${uri}`);
      return Buffer.from(text);
    },
  };
}

function gitlab(answer: () => Promise<Record<string, unknown>>): GitLabClient {
  return { getTestReport: answer } as unknown as GitLabClient;
}

const PASS = '<testsuite name="s"><testcase classname="c" name="a"/></testsuite>';
const FAIL = '<testsuite name="s"><testcase classname="c" name="a"><failure/></testcase><testcase classname="c" name="b"/></testsuite>';

test('junit: every report is read and merged, the worst result of a duplicate wins', async () => {
  const reading = await readReport({ artifacts: store({ r1: PASS, r2: FAIL }), gitlab: null }, { kind: 'junit', reportUris: ['r1', 'r2'] });
  assert.equal(reading.kind, 'report');
  assert.deepEqual(reading.kind === 'report' && reading.report.tests.map((t) => [t.fullName, t.status]), [['c › a', 'failed'], ['c › b', 'passed']]);
});

test('none, and junit without files, are "no report"', async () => {
  const sources = { artifacts: store({}), gitlab: null };
  assert.deepEqual(await readReport(sources, { kind: 'none' }), { kind: 'none' });
  assert.deepEqual(await readReport(sources, { kind: 'junit', reportUris: [] }), { kind: 'none' });
});

test('a broken or missing report is "unreadable" with a reason fit for the student', async () => {
  const seen: unknown[] = [];
  const broken = await readReport({ artifacts: store({ r: '<testsuite><testcase' }), gitlab: null }, { kind: 'junit', reportUris: ['r'] }, (e) => seen.push(e));
  assert.equal(broken.kind, 'unreadable');
  assert.equal(seen.length, 1);
  const missing = await readReport({ artifacts: store({}), gitlab: null }, { kind: 'junit', reportUris: ['gone'] });
  assert.deepEqual(missing, { kind: 'unreadable', reason: 'the stored test report is missing' });
});

test('transient storage failures are thrown, so the result is retried', async () => {
  const failure = new AppError('ARTIFACT_READ_FAILED', 'EIO', { retryable: true });
  await assert.rejects(readReport({ artifacts: store({}, failure), gitlab: null }, { kind: 'junit', reportUris: ['r'] }), failure);
});

test('gitlab: the pipeline test report is fetched and parsed', async () => {
  const calls: unknown[] = [];
  const client = gitlab(async (...args: unknown[]) => {
    calls.push(args);
    return { test_suites: [{ name: 'job', test_cases: [{ status: 'success', name: 'a', classname: 'c' }] }] };
  });
  const reading = await readReport({ artifacts: store({}), gitlab: client }, { kind: 'gitlab', projectId: 7, pipelineId: 9 });
  assert.deepEqual(calls, [[7, 9]]);
  assert.deepEqual(reading.kind === 'report' && reading.report.totals.passed, 1);
});

test('gitlab: not configured or refusing our token is permanent and thrown; a 404 is unreadable', async () => {
  const source = { kind: 'gitlab' as const, projectId: 'a/b', pipelineId: 1 };
  await assert.rejects(readReport({ artifacts: store({}), gitlab: null }, source), { code: 'GITLAB_NOT_CONFIGURED', retryable: false });
  const refused = new AppError('GITLAB_REJECTED', '401', { details: { status: 401 } });
  await assert.rejects(readReport({ artifacts: store({}), gitlab: gitlab(() => Promise.reject(refused)) }, source), refused);
  const absent = new AppError('GITLAB_REJECTED', '404', { details: { status: 404 } });
  assert.deepEqual(await readReport({ artifacts: store({}), gitlab: gitlab(() => Promise.reject(absent)) }, source),
    { kind: 'unreadable', reason: 'GitLab has no test report for the pipeline' });
  const summary = await readReport({ artifacts: store({}), gitlab: gitlab(async () => ({ test_suites: [{ name: 'x' }] })) }, source);
  assert.equal(summary.kind, 'unreadable');
});
