import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../logging/index.ts';
import { requireAdminToken } from './auth.ts';
import { createHttpApp } from './http-app.ts';

async function app(token: string | null) {
  const server = createHttpApp({ log: createLogger('silent'), bodyLimitBytes: 1024 });
  await server.register(async (scope) => {
    scope.addHook('onRequest', requireAdminToken(token));
    scope.get('/api/x', async () => ({ ok: true }));
  });
  return server;
}

test('without a configured token every request is refused with 503', async (t) => {
  const server = await app(null);
  t.after(() => server.close());
  const answer = await server.inject({ url: '/api/x', headers: { authorization: 'Bearer anything-at-all-1234' } });
  assert.deepEqual([answer.statusCode, answer.json().error], [503, 'API_DISABLED']);
});

test('missing, malformed and wrong tokens are 401; the right one passes', async (t) => {
  const token = 'a-long-admin-token-123456';
  const server = await app(token);
  t.after(() => server.close());
  const missing = await server.inject({ url: '/api/x' });
  assert.deepEqual([missing.statusCode, missing.json().error, missing.headers['www-authenticate']], [401, 'UNAUTHENTICATED', 'Bearer']);
  assert.equal((await server.inject({ url: '/api/x', headers: { authorization: `Basic ${token}` } })).statusCode, 401);
  const wrong = await server.inject({ url: '/api/x', headers: { authorization: `Bearer ${token}x` } });
  assert.deepEqual([wrong.statusCode, wrong.json().error], [401, 'INVALID_TOKEN']);
  const right = await server.inject({ url: '/api/x', headers: { authorization: `bearer ${token}` } });
  assert.deepEqual([right.statusCode, right.json()], [200, { ok: true }]);
});
