// Secrets are compared in constant time on every path that takes one from a request: webhook
// tokens (any configured secret, then the course's own) and the staff API's bearer token.
// Timing is not measured (too noisy to fail reliably); instead crypto.timingSafeEqual is spied
// on and every path must go through it, on equal-length digests, for every configured secret;
// and a static check finds no `===`, includes() or the like on tokens in the code that reads them.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { after, before, describe, mock, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { MemoryDedupStore } from '../../src/cache/index.ts';
import { createProjectResolver, loadCourses } from '../../src/courses/index.ts';
import { WebhookIntake, webhookRoutes, webhookSecrets } from '../../src/gateway/index.ts';
import { createLogger } from '../../src/logging/index.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { apiRoutes, createHttpApp } from '../../src/web/index.ts';
import { pushPayload, shaOf, writeTestCourse } from '../support/gitlab.ts';

const COURSE_SECRET = 'course-secret-0123456789abcdef';
const GLOBAL_SECRET = 'global-secret-0123456789abcdef';
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

describe('every secret taken from a request is compared with timingSafeEqual', () => {
  let app: FastifyInstance;
  const spy = mock.method(crypto, 'timingSafeEqual');

  before(async () => {
    // Node's built-in ESM bindings follow the CommonJS object only once told to.
    syncBuiltinESMExports();
    const course = writeTestCourse(COURSE_SECRET);
    const { courses } = await loadCourses({ dir: course.dir, env: { TEST_COURSE_SECRET: COURSE_SECRET } });
    const secrets = webhookSecrets(new Map(courses.map((c) => [c.slug, c.gitlab.webhookSecret])), GLOBAL_SECRET);
    const producer = { produceGitLabEvent: async () => ({ topic: 't', partition: 0, offset: 0n }) };
    const log = createLogger('silent');
    const intake = new WebhookIntake({ producer: producer as never, resolver: createProjectResolver(courses), secrets, dedup: new MemoryDedupStore(), log });
    app = createHttpApp({ log, bodyLimitBytes: 1024 * 1024 });
    await app.register(webhookRoutes, { intake, secrets, metrics: createMetrics(), log, bodyLimitBytes: 1024 * 1024 });
    await app.register(apiRoutes, { adminToken: ADMIN_TOKEN, listSubmissions: async () => [] });
  });
  after(() => {
    mock.restoreAll();
    syncBuiltinESMExports();
    return app?.close();
  });

  async function compared(request: () => Promise<{ statusCode: number }>): Promise<{ status: number; calls: number }> {
    spy.mock.resetCalls();
    const { statusCode } = await request();
    const calls = spy.mock.calls;
    // Digests of equal length: the comparison cannot depend on how long the guess was.
    for (const call of calls) assert.deepEqual(call.arguments.map((b) => (b as Buffer).length), [32, 32]);
    return { status: statusCode, calls: calls.length };
  }

  const webhook = (token: string) => () => app.inject({
    method: 'POST', url: '/webhooks/gitlab', payload: pushPayload({ path: 'algo-test/hw1/tim', projectId: 3, sha: shaOf(token + Math.random()) }),
    headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': token },
  });
  const api = (token: string) => () => app.inject({ method: 'GET', url: '/api/submissions', headers: { authorization: `Bearer ${token}` } });

  test('a forged webhook token is compared with every configured secret, none skipped', async () => {
    assert.deepEqual(await compared(webhook('forged-token-0123456789')), { status: 401, calls: 2 });
    assert.deepEqual(await compared(webhook('x')), { status: 401, calls: 2 }, 'a short guess too');
  });

  test("the right token: every secret (no early exit on a match), then the course's own", async () => {
    assert.deepEqual(await compared(webhook(COURSE_SECRET)), { status: 202, calls: 3 });
  });

  test("a known secret of the wrong course: refused after the course's comparison", async () => {
    assert.deepEqual(await compared(webhook(GLOBAL_SECRET)), { status: 401, calls: 3 });
  });

  test('the staff API bearer token, wrong and right', async () => {
    assert.deepEqual(await compared(api('forged-token-0123456789')), { status: 401, calls: 1 });
    assert.deepEqual(await compared(api(ADMIN_TOKEN)), { status: 200, calls: 1 });
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const SECRETISH = /token|secret|password/i;
/** What a secret may be compared with directly: its absence. */
const ABSENT = /^(null|undefined|''|""|``)$/;

/** `a === b` style comparisons where one side names a secret and the other is not "absent". */
function directComparisons(source: string): string[] {
  const found: string[] = [];
  source.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/([\w.$[\]'"`]+)\s*(===|!==|==|!=)\s*([\w.$[\]'"`]+)/g)) {
      const [, left = '', , right = ''] = m;
      if ((SECRETISH.test(left) && !ABSENT.test(right)) || (SECRETISH.test(right) && !ABSENT.test(left))) found.push(`${i + 1}: ${line.trim()}`);
    }
    if (/\.(includes|has|indexOf|startsWith|endsWith|localeCompare)\(\s*[\w.]*(token|secret|password)/i.test(line)
      || /(token|secret|password)\w*\.(includes|indexOf|startsWith|endsWith|localeCompare)\(/i.test(line)) found.push(`${i + 1}: ${line.trim()}`);
  });
  return found;
}

test('static: no secret is compared with ===, includes() and the like where requests are read', () => {
  const files = [...sourceFiles(path.join(SRC, 'gateway')), ...sourceFiles(path.join(SRC, 'web'))];
  const found = files.flatMap((file) => directComparisons(readFileSync(file, 'utf8')).map((hit) => `${path.relative(SRC, file)}:${hit}`));
  assert.deepEqual(found, []);
  assert.deepEqual(directComparisons('if (token === expected) ok();\nif (secret.startsWith(guess)) x();'), ['1: if (token === expected) ok();', '2: if (secret.startsWith(guess)) x();'], 'the check finds what it looks for');
});

test('static: timingSafeEqual is called in one place, tokensEqual, which hashes both sides first', () => {
  const users = sourceFiles(SRC).filter((file) => readFileSync(file, 'utf8').includes('timingSafeEqual('));
  assert.deepEqual(users.map((file) => path.relative(SRC, file)), ['gateway/secrets.ts']);
});
