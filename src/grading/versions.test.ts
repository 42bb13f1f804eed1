import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Assignment, GitlabCiCheck, LocalCheck } from '../courses/index.ts';
import { SuiteCache, policyVersion, suiteVersion } from './versions.ts';

const POLICY: Pick<Assignment, 'scoring' | 'late' | 'deadline' | 'counts'> = {
  scoring: { maxScore: 100, weights: { 'sorts *': 30 }, default: 1 },
  late: { penaltyPercentPerDay: 10, cutoff: new Date('2026-12-04T20:59:00Z') },
  deadline: new Date('2026-12-01T20:59:00Z'),
  counts: 'best',
};

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gradeflow-suite-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function local(tests: string, overrides: Partial<LocalCheck> = {}): LocalCheck {
  return { executor: 'local', tests, command: 'npm test', report: 'report.xml', timeoutSeconds: 60, memoryMb: 512, ...overrides };
}

test('policy version: equal rules give equal versions; each rule changes it', () => {
  const base = policyVersion(POLICY);
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(policyVersion({ ...POLICY, scoring: { ...POLICY.scoring, weights: { 'sorts *': 30 } } }), base);
  const two = (weights: Record<string, number>) => policyVersion({ ...POLICY, scoring: { ...POLICY.scoring, weights } });
  assert.equal(two({ a: 1, b: 2 }), two({ b: 2, a: 1 }), 'weight order does not matter to scoring');
  const changed = [
    { ...POLICY, scoring: { ...POLICY.scoring, weights: { 'sorts *': 31 } } },
    { ...POLICY, scoring: { ...POLICY.scoring, maxScore: 10 } },
    { ...POLICY, late: null },
    { ...POLICY, deadline: new Date('2026-12-02T20:59:00Z') },
    { ...POLICY, counts: 'last' as const },
  ].map(policyVersion);
  assert.equal(new Set([base, ...changed]).size, changed.length + 1);
});

test('gitlab-ci and unchecked suites hash their configuration only', async () => {
  const ci: GitlabCiCheck = { executor: 'gitlab-ci', project: 'algo/grading', ref: null, variables: { A: '1' }, report: 'r.xml', timeoutSeconds: 900 };
  const v = await suiteVersion(ci);
  assert.equal(await suiteVersion({ ...ci, variables: { A: '1' } }), v);
  assert.notEqual(await suiteVersion({ ...ci, variables: { A: '2' } }), v);
  assert.notEqual(await suiteVersion(null), v);
});

test('local suites hash the hidden tests by content, not by where the directory is', async (t) => {
  const root = await tempDir(t);
  const [a, b] = [path.join(root, 'a'), path.join(root, 'b')];
  // Created in different orders: the hash must not depend on readdir order.
  await mkdir(path.join(a, 'sub'), { recursive: true });
  await writeFile(path.join(a, 'x.test.js'), 'x');
  await writeFile(path.join(a, 'sub', 'y.test.js'), 'y');
  await mkdir(path.join(b, 'sub'), { recursive: true });
  await writeFile(path.join(b, 'sub', 'y.test.js'), 'y');
  await writeFile(path.join(b, 'x.test.js'), 'x');
  const cache = new SuiteCache();
  const va = await suiteVersion(local(a), cache);
  assert.equal(await suiteVersion(local(b), cache), va);
  assert.notEqual(await suiteVersion(local(a, { timeoutSeconds: 61 }), cache), va, 'limits are part of the suite');
  await writeFile(path.join(b, 'sub', 'y.test.js'), 'Y');
  assert.notEqual(await suiteVersion(local(b), cache), va, 'edited file');
  await writeFile(path.join(b, 'sub', 'y.test.js'), 'y');
  await writeFile(path.join(b, 'z.test.js'), '');
  assert.notEqual(await suiteVersion(local(b), cache), va, 'added empty file');
});

test('symlinks are hashed as their target text, never followed', async (t) => {
  const root = await tempDir(t);
  await writeFile(path.join(root, 'outside.txt'), 'one');
  const suite = path.join(root, 'suite');
  await mkdir(suite);
  await symlink(path.join(root, 'outside.txt'), path.join(suite, 'link'));
  const before = await suiteVersion(local(suite), new SuiteCache());
  await writeFile(path.join(root, 'outside.txt'), 'two');
  assert.equal(await suiteVersion(local(suite), new SuiteCache()), before);
});

test('the cache is keyed on every entry\'s size and mtime, and only reads files when they changed', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 't.js');
  await writeFile(file, 'aaaa');
  // Whole milliseconds: utimes() cannot restore a sub-millisecond mtime.
  const [atime, mtime] = [new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z')];
  await utimes(file, atime, mtime);
  const cache = new SuiteCache();
  const first = await cache.hashDirectory(dir);
  // Same size, same mtime: indistinguishable by stat, so the cached hash is returned...
  await writeFile(file, 'bbbb');
  await utimes(file, atime, mtime);
  assert.equal(await cache.hashDirectory(dir), first);
  assert.notEqual(await new SuiteCache().hashDirectory(dir), first, 'a fresh cache reads the new content');
  // ...and a new mtime alone (content edited in place, directory mtime unchanged) invalidates it.
  await utimes(file, atime, new Date(mtime.getTime() + 5000));
  assert.notEqual(await cache.hashDirectory(dir), first);
});

test('a missing hidden tests directory is a permanent SUITE_UNREADABLE', async (t) => {
  const dir = await tempDir(t);
  await assert.rejects(suiteVersion(local(path.join(dir, 'nope'))), (error: Error & { code?: string; retryable?: boolean }) => {
    assert.equal(error.code, 'SUITE_UNREADABLE');
    assert.equal(error.retryable, false);
    return true;
  });
});
