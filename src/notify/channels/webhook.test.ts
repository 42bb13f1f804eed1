import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { GradeSummary } from '../types.ts';
import { postWebhook, signature, webhookBody } from './webhook.ts';

/** A local HTTP server answering every request with `answer`; records what it was sent. */
async function hookServer(t: TestContext, answer: (res: ServerResponse) => void): Promise<{ url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
    req.on('end', () => { bodies.push(body); answer(res); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

test('the signature is sha256= and the hex HMAC of the exact body', () => {
  const body = '{"a":1}';
  assert.equal(signature('k', body), `sha256=${createHmac('sha256', 'k').update(body).digest('hex')}`);
  assert.notEqual(signature('k', body), signature('k', '{"a":2}'));
  assert.notEqual(signature('k', body), signature('other', body));
});

test('the body: a line for chat hooks and the whole grade', () => {
  const grade = {
    submissionId: '7f0c8a52-3c3e-4a7e-9d43-2f1f5b0c9e11', course: 'algo-2026', assignment: 'hw1', student: 'alice',
    commitSha: '0'.repeat(40), score: 100, maxScore: 100, passed: 1, total: 1, verdict: 'graded', verdictMessage: null,
    latePenaltyPercent: 0, tests: [], url: null,
  } satisfies GradeSummary;
  assert.deepEqual(webhookBody(grade), { type: 'grade', text: 'algo-2026 hw1 alice: Score 100/100 (1/1 test)', grade });
});

test('a hook is posted; a redirect is not followed, so the body goes nowhere else', async (t) => {
  const elsewhere = await hookServer(t, (res) => res.writeHead(200).end());
  const redirecting = await hookServer(t, (res) => res.writeHead(302, { location: elsewhere.url }).end());
  const ok = await hookServer(t, (res) => res.writeHead(204).end());
  const payload = { type: 'grade' as const, text: 'x', grade: {} as GradeSummary };
  assert.equal(await postWebhook({ url: ok.url, secret: 'k' }, payload, { deliveryId: 'd1' }), 'HTTP 204');
  assert.deepEqual(ok.bodies, [JSON.stringify(payload)]);
  await assert.rejects(postWebhook({ url: redirecting.url, secret: null }, payload, { deliveryId: 'd2' }), { code: 'NOTIFY_WEBHOOK_REJECTED', retryable: false });
  assert.equal(redirecting.bodies.length, 1);
  assert.deepEqual(elsewhere.bodies, [], 'the redirect target got nothing');
  await assert.rejects(postWebhook({ url: 'http://127.0.0.1:1/hook', secret: null }, payload, { deliveryId: 'd3' }), { code: 'NOTIFY_WEBHOOK_UNAVAILABLE', retryable: true });
});
