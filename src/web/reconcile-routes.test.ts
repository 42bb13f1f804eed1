// POST /api/reconcile with a stand-in reconciler: what is refused before streaming starts, and
// what the stream carries. The real reconciler behind it is in test/integration/reconcile.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Course } from '../courses/index.ts';
import { AppError } from '../errors/index.ts';
import { createLogger } from '../logging/index.ts';
import { createHttpApp } from './http-app.ts';
import { reconcileRoutes } from './reconcile-routes.ts';
import type { ReconcileFn } from './reconcile-routes.ts';

const TOKEN = 'reconcile-route-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const algo = { slug: 'algo', assignments: [{ slug: 'hw1' }] } as unknown as Course;

async function app(reconcile: ReconcileFn | null) {
  const server = createHttpApp({ log: createLogger('silent'), bodyLimitBytes: 10_000 });
  await server.register(reconcileRoutes, { adminToken: TOKEN, courses: new Map([['algo', algo]]), reconcile });
  return server;
}

test('a bad body, an unknown target and a GitLab-less install are refused with a status', async (t) => {
  const calls: unknown[] = [];
  const server = await app(async (target) => {
    calls.push(target);
    return { course: 'algo', assignments: [], projects: 0, emitted: 0, upToDate: 0, skipped: 0, failed: 0 };
  });
  const disabled = await app(null);
  t.after(() => Promise.all([server.close(), disabled.close()]));
  const post = (s: typeof server, payload: unknown) => s.inject({ method: 'POST', url: '/api/reconcile', headers: auth, payload: payload as object });
  assert.equal((await post(server, { assignment: 'hw1' })).statusCode, 400);
  assert.deepEqual((await post(server, { course: 'algo', assignment: 'hw9' })).json().error, 'NOT_FOUND');
  assert.equal((await post(server, { course: 'nope' })).statusCode, 404);
  assert.deepEqual([(await post(disabled, { course: 'algo' })).statusCode, (await post(disabled, { course: 'algo' })).json().error], [503, 'GITLAB_NOT_CONFIGURED']);
  assert.equal((await server.inject({ method: 'POST', url: '/api/reconcile', payload: { course: 'algo' } })).statusCode, 401);
  assert.deepEqual(calls, []);
});

test('the answer streams one line per project and ends with the report, or with the error', async (t) => {
  const outcome = { kind: 'up-to-date' as const, assignment: 'hw1', student: 'ann', projectId: 1, path: 'algo/hw1/ann', sha: 'a'.repeat(40) };
  const report = { course: 'algo', assignments: ['hw1'], projects: 1, emitted: 0, upToDate: 1, skipped: 0, failed: 0 };
  const server = await app(async (_target, onOutcome) => {
    onOutcome(outcome);
    return report;
  });
  const failing = await app(async () => {
    throw new AppError('GITLAB_UNAVAILABLE', 'GitLab did not answer');
  });
  t.after(() => Promise.all([server.close(), failing.close()]));
  const answer = await server.inject({ method: 'POST', url: '/api/reconcile', headers: auth, payload: { course: 'algo' } });
  assert.equal(answer.headers['content-type'], 'application/x-ndjson');
  assert.deepEqual(answer.body.trim().split('\n').map((line) => JSON.parse(line)), [{ outcome }, { report }]);
  const broken = await failing.inject({ method: 'POST', url: '/api/reconcile', headers: auth, payload: { course: 'algo', assignment: 'hw1' } });
  assert.deepEqual(JSON.parse(broken.body.trim()), { error: 'GITLAB_UNAVAILABLE', message: 'GitLab did not answer' });
});
