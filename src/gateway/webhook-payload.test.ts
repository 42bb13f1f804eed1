import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ZERO_SHA, deliveryKey, mapPush, sanitizedBody } from './webhook-payload.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../../shared/fixtures/gitlab/${name}`, import.meta.url), 'utf8'));

test("GitLab's documented push payload maps to a push event", () => {
  const mapped = mapPush(fixture('push.json'));
  assert.ok(mapped.ok);
  assert.equal(mapped.payload.checkoutSha, 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
  assert.equal(mapped.payload.branch, 'master');
  assert.equal(mapped.payload.project.id, 15);
  assert.equal(mapped.payload.project.path, 'mike/diaspora');
  assert.equal(mapped.payload.project.httpUrl, 'http://example.com/mike/diaspora.git');
  assert.equal(mapped.payload.totalCommits, 4, 'total_commits_count, not commits.length');
  assert.equal(mapped.payload.commits.length, 2);
  assert.equal(mapped.payload.pusher.username, 'jsmith');
});

test('a branch deletion (after all zeros, checkout_sha null) is recognised', () => {
  const body = { ...fixture('push.json'), after: ZERO_SHA, checkout_sha: null };
  const mapped = mapPush(body);
  assert.equal(mapped.ok, false);
  assert.equal(!mapped.ok && mapped.reason, 'branch-deleted');
});

test('a branch creation (before all zeros, no commits) is a push of its head', () => {
  const body = { ...fixture('push.json'), before: ZERO_SHA, commits: [], total_commits_count: 0 };
  const mapped = mapPush(body);
  assert.ok(mapped.ok);
  assert.equal(mapped.payload.before, ZERO_SHA);
  assert.equal(mapped.payload.commits.length, 0);
});

test('more than 20 commits keep the newest 20 and the real count', () => {
  const base = fixture('push.json');
  const commits = Array.from({ length: 25 }, (_, i) => ({ ...base.commits[0], id: i.toString(16).padStart(40, '0') }));
  const mapped = mapPush({ ...base, commits, total_commits_count: 31 });
  assert.ok(mapped.ok);
  assert.equal(mapped.payload.commits.length, 20);
  assert.equal(mapped.payload.commits[19]?.id, (24).toString(16).padStart(40, '0'));
  assert.equal(mapped.payload.totalCommits, 31);
});

test('a payload without the documented fields is malformed, with the field named', () => {
  const mapped = mapPush({ ...fixture('push.json'), after: 42 });
  assert.equal(mapped.ok, false);
  assert.ok(!mapped.ok && mapped.reason === 'malformed' && /after/.test(mapped.message));
});

test('delivery keys: Idempotency-Key first, then Event-UUID with payload identity, then push content', () => {
  const push = fixture('push.json');
  assert.equal(deliveryKey({ idempotencyKey: 'k1', eventUuid: 'u1' }, 'push', push), 'idem:k1');
  const byUuid = deliveryKey({ eventUuid: 'u1' }, 'push', push);
  assert.match(byUuid ?? '', /^uuid:u1:push:15:refs\/heads\/master:95790bf/);
  assert.notEqual(byUuid, deliveryKey({ eventUuid: 'u1' }, 'push', { ...push, after: 'b'.repeat(40) }), 'recursive hooks share a UUID');
  assert.match(deliveryKey({}, 'push', push) ?? '', /^content:push:15:/);
  assert.equal(deliveryKey({}, 'pipeline', fixture('pipeline.json')), null);
});

test('pipeline variables are dropped (they may hold secrets), except the ids Gradeflow gave the pipeline', () => {
  const body = fixture('pipeline.json');
  const check = '3f1c2a34-5b6d-4e7f-8a9b-0c1d2e3f4a5b';
  body.object_attributes.variables = [
    { key: 'DEPLOY_TOKEN', value: 'glpat-secret' }, { key: 'GRADEFLOW_CHECK_ID', value: check, variable_type: 'env_var' },
    { key: 'GRADEFLOW_SUBMISSION_ID', value: 'not an id; rm -rf /' }, { key: 'GRADEFLOW_COURSE', value: 'algo' }, 'odd',
  ];
  const kept = sanitizedBody(body) as { object_attributes: { variables?: unknown; id: number } };
  assert.deepEqual(kept.object_attributes.variables, [{ key: 'GRADEFLOW_CHECK_ID', value: check }]);
  assert.equal(kept.object_attributes.id, 31);
  assert.doesNotMatch(JSON.stringify(kept), /glpat-secret/);
  body.object_attributes.variables = [{ key: 'DEPLOY_TOKEN', value: 'glpat-secret' }];
  assert.equal('variables' in (sanitizedBody(body) as { object_attributes: object }).object_attributes, false);
});
