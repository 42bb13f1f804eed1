// The gateway against its hostile-input corpus (test/fixtures/hostile/gateway-*.ts), over real
// HTTP on a bare socket, producing to the real broker. Every case gets its own clear answer
// (status and a JSON message naming the problem), nothing a refused case sent reaches a topic,
// no log line holds a secret, and the gateway still takes a normal push afterwards.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { TOPICS, decodeEvent, topicName } from '../../src/events/index.ts';
import { JSON_CASES, NESTING_CASES, SIZE_CASES, TYPE_CASES } from '../fixtures/hostile/gateway-body.ts';
import type { CaseContext, Expect, GatewayCase } from '../fixtures/hostile/gateway-cases.ts';
import { caseContext, json } from '../fixtures/hostile/gateway-cases.ts';
import { AUTH_CASES, EVENT_CASES, HEADER_CASES, MEDIA_CASES, REPLAY_CASES } from '../fixtures/hostile/gateway-headers.ts';
import { UNICODE_CASES } from '../fixtures/hostile/gateway-text.ts';
import { WIRE_CASES } from '../fixtures/hostile/gateway-wire.ts';
import { testEnv } from '../support/context.ts';
import { startHostileGateway } from '../support/hostile-gateway.ts';
import type { HostileGateway } from '../support/hostile-gateway.ts';
import { readTopic } from '../support/kafka-read.ts';
import { sendRaw } from '../support/raw-http.ts';
import type { RawResponse } from '../support/raw-http.ts';
import { leakedSecrets } from '../support/secret-forms.ts';

const GATEWAY_CORPUS: readonly GatewayCase[] = [
  ...JSON_CASES, ...TYPE_CASES, ...SIZE_CASES, ...NESTING_CASES, ...UNICODE_CASES,
  ...AUTH_CASES, ...MEDIA_CASES, ...HEADER_CASES, ...EVENT_CASES, ...REPLAY_CASES, ...WIRE_CASES,
];

/** No hostile request may hold the gateway longer than this (100k-deep JSON included). */
const ANSWER_WITHIN_MS = 5_000;

function checkAnswer(answer: RawResponse, want: Expect, label: string): void {
  const seen = `${label}: got ${answer.status} ${answer.body.slice(0, 400)}`;
  assert.equal(answer.timedOut, false, `${label}: no answer, connection still open`);
  assert.ok(answer.elapsedMs < ANSWER_WITHIN_MS, `${label}: took ${Math.round(answer.elapsedMs)} ms`);
  assert.equal(answer.status, want.status, seen);
  if (want.status >= 400) {
    assert.equal(typeof answer.json.error, 'string', `${seen}: a refusal names its error`);
    assert.ok(typeof answer.json.message === 'string' && answer.json.message.length > 0, `${seen}: a refusal says what is wrong`);
  }
  if (want.error !== undefined) assert.equal(answer.json.error, want.error, seen);
  if (want.outcome !== undefined) assert.equal(answer.json.status, want.outcome, seen);
  if (want.reason !== undefined) assert.equal(answer.json.reason, want.reason, seen);
  if (want.message !== undefined) assert.match(String(answer.json.message), want.message, seen);
}

const signature = (answer: { status: number; json?: any; error?: string; outcome?: string }): string =>
  `${answer.status} ${answer.json?.error ?? answer.json?.status ?? answer.error ?? answer.outcome ?? ''}`;

async function run(gateway: HostileGateway, ctx: CaseContext, hostile: GatewayCase): Promise<void> {
  const requests = hostile.requests(ctx);
  assert.equal(requests.length, hostile.expect.length, 'one expectation per request');
  if (hostile.concurrent) {
    const answers = await Promise.all(requests.map((r) => sendRaw(gateway.port, '/webhooks/gitlab', r)));
    answers.forEach((a) => assert.equal(a.timedOut, false));
    assert.deepEqual(answers.map(signature).sort(), hostile.expect.map(signature).sort());
    return;
  }
  for (const [i, request] of requests.entries()) {
    const answer = await sendRaw(gateway.port, '/webhooks/gitlab', request);
    checkAnswer(answer, hostile.expect[i] as Expect, `request ${i + 1}`);
  }
}

describe('hostile input at the gateway', () => {
  const env = testEnv();
  let gateway: HostileGateway;
  let ctx: CaseContext;

  before(async () => {
    gateway = await startHostileGateway(env);
    ctx = caseContext(gateway.secret, gateway.globalSecret);
  });
  after(() => gateway?.app.close());

  test('the corpus has at least 50 cases over every category', () => {
    assert.ok(GATEWAY_CORPUS.length >= 50, `${GATEWAY_CORPUS.length} cases`);
    assert.equal(new Set(GATEWAY_CORPUS.map((c) => c.id)).size, GATEWAY_CORPUS.length, 'case ids are unique');
    assert.deepEqual(new Set(GATEWAY_CORPUS.map((c) => c.category)).size, 11);
  });

  for (const hostile of GATEWAY_CORPUS) {
    test(`${hostile.category}: ${hostile.id}`, { todo: hostile.todo ?? false }, () => run(gateway, ctx, hostile));
  }

  test('nothing half-written: the topics hold exactly the records of the deliveries that were valid', async () => {
    const expected = GATEWAY_CORPUS.reduce((sum, c) => sum + (c.writes ?? 0), 0);
    assert.equal(await gateway.written(), expected);
  });

  test('the gateway keeps serving: a normal push right after the corpus is accepted and produced', async () => {
    const answer = await sendRaw(gateway.port, '/webhooks/gitlab', { headers: ctx.headers({ 'Idempotency-Key': randomUUID() }), body: json(ctx.push('after-the-corpus')) });
    assert.equal(answer.status, 202, answer.body);
    const topic = topicName(env.prefix, TOPICS.gitlabPush.name);
    const records = await readTopic(env.connection.bootstrapBrokers, topic, (r) => r.some((x) => decodeEvent(x.value).id === answer.json.eventId));
    const event = decodeEvent(records.find((x) => decodeEvent(x.value).id === answer.json.eventId)?.value);
    assert.equal(event.type === 'gitlab.push' && event.payload.student, 'after-the-corpus');
  });

  test('no log line holds a webhook secret, in any form (trace level)', () => {
    assert.match(gateway.logs(), /client error/, "malformed requests were logged (where rawPacket would leak)");
    assert.deepEqual(leakedSecrets(gateway.logs(), { secret: gateway.secret, globalSecret: gateway.globalSecret }), []);
  });
});
