import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FsArtifactStore, safeKeyPath } from './index.ts';

async function withStore(fn: (store: FsArtifactStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gradeflow-store-'));
  try {
    await fn(new FsArtifactStore(path.join(dir, 'artifacts')), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('put then get round-trips strings and buffers under the root', async () => {
  await withStore(async (store) => {
    const uri = await store.put('sub-1/log.txt', 'hello');
    assert.equal(uri, 'artifacts/sub-1/log.txt');
    assert.equal((await store.get(uri)).toString(), 'hello');
    const bin = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(await store.get(await store.put('sub-1/report-1.xml', bin)), bin);
    assert.equal(await readFile(path.join(store.root, 'sub-1', 'log.txt'), 'utf8'), 'hello');
  });
});

test('put replaces atomically and leaves no temp files behind', async () => {
  await withStore(async (store) => {
    await store.put('k/a', 'one');
    const uri = await store.put('k/a', 'two');
    assert.equal((await store.get(uri)).toString(), 'two');
    assert.deepEqual(await readdir(path.join(store.root, 'k')), ['a']);
  });
});

test('keys cannot escape the root', async () => {
  await withStore(async (store, dir) => {
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.', 'a/./b', '', 'a/..']) {
      await assert.rejects(store.put(key, 'x'), { code: 'ARTIFACT_KEY_INVALID' }, key);
    }
    assert.deepEqual(await readdir(dir), []);
  });
});

test('unsafe characters are percent-encoded, injectively', () => {
  assert.equal(safeKeyPath('algo:hw1:alice/log.txt'), 'algo%3Ahw1%3Aalice/log.txt');
  assert.equal(safeKeyPath('a\\..\\b'), 'a%5C..%5Cb');
  assert.notEqual(safeKeyPath('a:b'), safeKeyPath('a_b'));
  assert.notEqual(safeKeyPath('a%3Ab'), safeKeyPath('a:b'));
});

test('get rejects URIs that put could not have produced', async () => {
  await withStore(async (store) => {
    for (const uri of ['artifacts/../secret', 'artifacts/a/../../b', '/etc/passwd', 'file:///etc/passwd', 'artifacts/']) {
      await assert.rejects(store.get(uri), { code: 'ARTIFACT_URI_INVALID' }, uri);
    }
    await assert.rejects(store.get('artifacts/missing'), { code: 'ARTIFACT_NOT_FOUND' });
  });
});
