// Limits of the gateway over real HTTP: slow-loris clients (headers or body trickled, body
// stalled) are cut off with a JSON 408 within the request timeout plus Node's check interval,
// and the webhook route is rate-limited per source address with a JSON 429 and Retry-After,
// without touching other routes. The trickling is the attack itself; the tests wait on the
// server closing the connection, never on a clock.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_WEBHOOK_RATE_LIMIT } from '../../src/gateway/rate-limit.ts';
import { createLogger } from '../../src/logging/index.ts';
import { createHttpApp } from '../../src/web/index.ts';
import type { CaseContext } from '../fixtures/hostile/gateway-cases.ts';
import { caseContext, json } from '../fixtures/hostile/gateway-cases.ts';
import { testEnv } from '../support/context.ts';
import { startHostileGateway } from '../support/hostile-gateway.ts';
import type { HostileGateway } from '../support/hostile-gateway.ts';
import { requestBytes, sendRaw } from '../support/raw-http.ts';
import type { RawRequest, RawResponse } from '../support/raw-http.ts';

const REQUEST_TIMEOUT_MS = 1_000;
/** requestTimeout, plus Node's connection check interval (at most 1 s), plus a loaded machine. */
const CUT_OFF_WITHIN_MS = REQUEST_TIMEOUT_MS + 1_000 + 1_500;

function assertCutOff(answer: RawResponse): void {
  assert.equal(answer.timedOut, false, 'the server closed the connection');
  assert.equal(answer.status, 408, answer.raw.slice(0, 300));
  assert.equal(answer.json.error, 'REQUEST_TIMEOUT');
  assert.match(answer.json.message, /did not arrive completely within 1000 ms/);
  assert.ok(answer.elapsedMs >= REQUEST_TIMEOUT_MS - 100, `cut off by the timeout, not before (${Math.round(answer.elapsedMs)} ms)`);
  assert.ok(answer.elapsedMs < CUT_OFF_WITHIN_MS, `cut off within ${CUT_OFF_WITHIN_MS} ms (${Math.round(answer.elapsedMs)} ms)`);
}

const headLength = (request: RawRequest): number => requestBytes('/webhooks/gitlab', request).indexOf('\r\n\r\n') + 4;

describe('slow clients are cut off', () => {
  const env = testEnv();
  let gateway: HostileGateway;
  let ctx: CaseContext;

  before(async () => {
    gateway = await startHostileGateway(env, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
    ctx = caseContext(gateway.secret, gateway.globalSecret);
  });
  after(() => gateway?.app.close());

  test('headers sent, body trickled a byte every 50 ms: 408 JSON', async () => {
    const request = { headers: ctx.headers(), body: json(ctx.push()) };
    assertCutOff(await sendRaw(gateway.port, '/webhooks/gitlab', request, { trickleMs: 50, trickleAfter: headLength(request) }));
  });

  test('headers trickled a byte every 50 ms: 408 JSON', async () => {
    const request = { headers: ctx.headers(), body: json(ctx.push()) };
    assertCutOff(await sendRaw(gateway.port, '/webhooks/gitlab', request, { trickleMs: 50, trickleAfter: 20 }));
  });

  test('body stalled: Content-Length longer than what is sent, connection left open: 408 JSON', async () => {
    const body = json(ctx.push());
    assertCutOff(await sendRaw(gateway.port, '/webhooks/gitlab', { headers: ctx.headers(), body, contentLength: body.length + 1_000 }));
  });

  test('after the slow clients a normal push is accepted, and it is the only record produced', async () => {
    const answer = await sendRaw(gateway.port, '/webhooks/gitlab', { headers: ctx.headers(), body: json(ctx.push()) });
    assert.equal(answer.status, 202, answer.body);
    assert.equal(answer.headers.get('x-ratelimit-limit'), String(DEFAULT_WEBHOOK_RATE_LIMIT), 'the default limit applies');
    assert.equal(await gateway.written(), 1);
  });

  test('defaults of a production app: whole request within 30 s, headers within 10 s, checked every second', () => {
    const app = createHttpApp({ log: createLogger('silent'), bodyLimitBytes: 1024 });
    assert.equal(app.server.requestTimeout, 30_000);
    assert.equal(app.server.headersTimeout, 10_000);
    assert.equal(DEFAULT_WEBHOOK_RATE_LIMIT, 6000);
  });
});

describe('per-source rate limit of the webhook route', () => {
  const env = testEnv();
  let gateway: HostileGateway;
  let ctx: CaseContext;
  const post = (token: string) => sendRaw(gateway.port, '/webhooks/gitlab', { headers: ctx.headers({ 'X-Gitlab-Token': token }), body: json(ctx.push()) });

  before(async () => {
    gateway = await startHostileGateway(env, { rateLimitPerMinute: 5 });
    ctx = caseContext(gateway.secret, gateway.globalSecret);
  });
  after(() => gateway?.app.close());

  test('every request counts, refused ones too; past the limit: 429 JSON with Retry-After', async () => {
    const within = [await post(gateway.secret), await post('wrong-token-0123456789'), await post('wrong-token-0123456789'), await post(gateway.secret), await post('')];
    assert.deepEqual(within.map((a) => a.status), [202, 401, 401, 202, 401]);
    const limited = await post(gateway.secret);
    assert.equal(limited.status, 429, limited.body);
    assert.equal(limited.json.error, 'RATE_LIMITED');
    assert.match(limited.json.message, /more than 5 webhook requests a minute from 127\.0\.0\.1 \(GRADEFLOW_WEBHOOK_RATE_LIMIT\); retry in/);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 60, `Retry-After: ${limited.headers.get('retry-after')}`);
  });

  test('the limited push produced nothing; other routes are not limited', async () => {
    assert.equal(await gateway.written(), 2);
    const health = await sendRaw(gateway.port, '/healthz', { headers: [], body: '', rawHead: 'GET /healthz HTTP/1.1\r\nHost: gateway.test\r\nConnection: close' });
    assert.equal(health.status, 200, health.body);
  });
});
