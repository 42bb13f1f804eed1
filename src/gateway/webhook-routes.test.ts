// How the webhook route answers when the event cannot be produced: only what fails on every
// retry becomes a 4xx; a broker that may come back stays 503 so GitLab (or the spool) retries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryDedupStore } from '../cache/index.ts';
import { createProjectResolver } from '../courses/index.ts';
import type { Course } from '../courses/index.ts';
import { AppError } from '../errors/index.ts';
import { createLogger } from '../logging/index.ts';
import { createMetrics } from '../metrics/index.ts';
import { createHttpApp } from '../web/http-app.ts';
import { WebhookIntake } from './intake.ts';
import { webhookSecrets } from './secrets.ts';
import { webhookRoutes } from './webhook-routes.ts';

const SECRET = 'route-secret-0123456789abcdef';
const COURSE: Course = {
  slug: 'algo', title: 'Algorithms', file: 'algo.yaml', gitlab: { projectPath: 'algo/{assignment}/{student}', webhookSecret: SECRET },
  notify: { email: null, webhook: null },
  assignments: [{
    slug: 'hw1', title: 'Sorting', opens: null, deadline: new Date('2099-12-01T00:00:00Z'), exam: false, branch: null, counts: 'best',
    late: { penaltyPercentPerDay: 0, cutoff: new Date('2099-12-05T00:00:00Z') }, attempts: { perHour: null, max: null },
    check: null, scoring: { maxScore: 10, weights: {}, default: 1 },
  }],
};

async function answerWhenProducing(error: Error): Promise<{ status: number; body: { error: string; message: string } }> {
  const secrets = webhookSecrets(new Map([[COURSE.slug, SECRET]]), null);
  const producer = { produceGitLabEvent: async () => { throw error; } };
  const log = createLogger('silent');
  const intake = new WebhookIntake({ producer: producer as never, resolver: createProjectResolver([COURSE]), secrets, dedup: new MemoryDedupStore(), log });
  const app = createHttpApp({ log, bodyLimitBytes: 1 << 20 });
  await app.register(webhookRoutes, { intake, secrets, metrics: createMetrics(), log, bodyLimitBytes: 1 << 20 });
  const path = 'algo/hw1/ann';
  const sha = 'a'.repeat(40);
  const response = await app.inject({
    method: 'POST', url: '/webhooks/gitlab',
    headers: { 'content-type': 'application/json', 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Push Hook' },
    payload: { object_kind: 'push', ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, checkout_sha: sha, project: { id: 1, path_with_namespace: path } },
  });
  await app.close();
  return { status: response.statusCode, body: response.json() };
}

test('an event the catalogue refuses is a 400 naming why', async () => {
  const answer = await answerWhenProducing(new AppError('EVENT_INVALID', 'refusing to produce: ref too long'));
  assert.deepEqual([answer.status, answer.body.error], [400, 'EVENT_INVALID']);
  assert.match(answer.body.message, /ref too long/);
});

test('a record the broker will never take is a 413', async () => {
  const answer = await answerWhenProducing(new AppError('KAFKA_RECORD_TOO_LARGE', 'record of 1.4 MB', { retryable: false }));
  assert.deepEqual([answer.status, answer.body.error], [413, 'KAFKA_RECORD_TOO_LARGE']);
  assert.match(answer.body.message, /GRADEFLOW_WEBHOOK_BODY_LIMIT/);
});

test('a broker that may come back, or a fault of ours, stays 503 without internals', async () => {
  const away = await answerWhenProducing(new AppError('KAFKA_UNAVAILABLE', 'connect ECONNREFUSED 10.0.0.7:9092', { retryable: true }));
  assert.deepEqual([away.status, away.body.error], [503, 'KAFKA_UNAVAILABLE']);
  assert.doesNotMatch(away.body.message, /10\.0\.0\.7/);
  const ours = await answerWhenProducing(new AppError('KAFKA_USAGE', 'bad client option', { retryable: false }));
  assert.equal(ours.status, 503);
});
