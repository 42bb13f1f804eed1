import assert from 'node:assert/strict';
import { cp, mkdtemp, open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, mock, test } from 'node:test';
import { createLogger } from '../../logging/index.ts';
import { frame, parseAt } from './format.ts';
import { openSpool } from './spool.ts';
import type { Spool } from './spool.ts';

const dirs: string[] = [];
afterEach(async () => {
  mock.restoreAll();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gradeflow-spool-'));
  dirs.push(dir);
  return dir;
}

function capturingLog() {
  let text = '';
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { log: createLogger('debug', 'spool-test', sink), text: () => text };
}

const quiet = () => capturingLog().log;
const record = (i: number, size = 40) => Buffer.from(`record-${i}-`.padEnd(size, String.fromCharCode(97 + (i % 26))));

/** Everything after the cursor, acknowledging as it goes (what the forwarder does). */
async function drain(spool: Spool, batchSize = 7): Promise<string[]> {
  const seen: string[] = [];
  while (spool.depth > 0) {
    const batch = await spool.read(batchSize);
    seen.push(...batch.records.map((r) => r.toString('utf8')));
    await spool.ack(batch);
  }
  return seen;
}

const segmentFiles = async (dir: string) => (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort();

test('appended records survive a close and reopen, in order, across segment rolls', async () => {
  const dir = await tempDir();
  const expected = Array.from({ length: 60 }, (_, i) => record(i, i % 10 === 0 ? 3000 : 40));
  const first = await openSpool({ dir, maxBytes: 1 << 20, log: quiet(), segmentBytes: 4096 });
  await Promise.all(expected.slice(0, 30).map((r) => first.append(r)));
  for (const r of expected.slice(30)) await first.append(r);
  assert.equal(first.depth, 60);
  await first.close();
  assert.ok((await segmentFiles(dir)).length > 3, 'small segments roll over');
  const second = await openSpool({ dir, maxBytes: 1 << 20, log: quiet(), segmentBytes: 4096 });
  assert.equal(second.depth, 60);
  assert.deepEqual(await drain(second), expected.map(String));
  assert.equal(second.depth, 0);
  assert.deepEqual(await segmentFiles(dir), [], 'forwarded segments are deleted');
  assert.equal(second.bytes, 0);
  await second.close();
});

test('the cursor survives a reopen: acknowledged records are not read again', async () => {
  const dir = await tempDir();
  const first = await openSpool({ dir, maxBytes: 1 << 20, log: quiet() });
  for (let i = 0; i < 10; i += 1) await first.append(record(i));
  const batch = await first.read(4);
  assert.deepEqual(batch.records.map(String), [0, 1, 2, 3].map((i) => String(record(i))));
  await first.ack(batch);
  await first.read(3); // read but never acknowledged: must come again
  await first.close();
  const second = await openSpool({ dir, maxBytes: 1 << 20, log: quiet() });
  assert.equal(second.depth, 6);
  assert.deepEqual(await drain(second), [4, 5, 6, 7, 8, 9].map((i) => String(record(i))));
  await second.close();
});

test('a crash image (files copied while open, never closed) holds every acknowledged append', async () => {
  const dir = await tempDir();
  const spool = await openSpool({ dir, maxBytes: 1 << 20, log: quiet() });
  await Promise.all(Array.from({ length: 25 }, (_, i) => spool.append(record(i))));
  const image = await tempDir();
  await cp(dir, image, { recursive: true });
  await spool.close();
  const reopened = await openSpool({ dir: image, maxBytes: 1 << 20, log: quiet() });
  assert.deepEqual(await drain(reopened), Array.from({ length: 25 }, (_, i) => String(record(i))));
  await reopened.close();
});

test('a torn tail (append interrupted by a crash) is cut off on open and the spool goes on', async () => {
  const dir = await tempDir();
  const first = await openSpool({ dir, maxBytes: 1 << 20, log: quiet() });
  for (let i = 0; i < 3; i += 1) await first.append(record(i));
  await first.close();
  const [segment] = await segmentFiles(dir);
  assert.ok(segment !== undefined);
  const file = path.join(dir, segment);
  const intactSize = (await stat(file)).size;
  const torn = frame(record(3), Date.now()).subarray(0, 25);
  await writeFile(file, torn, { flag: 'a' });
  const { log, text } = capturingLog();
  const second = await openSpool({ dir, maxBytes: 1 << 20, log });
  assert.equal(second.depth, 3);
  assert.equal((await stat(file)).size, intactSize, 'the torn bytes are cut off');
  assert.match(text(), /torn record/);
  assert.ok((await readdir(dir)).some((name) => name.startsWith(`${segment}.damaged-`)), 'the cut bytes are kept for a person');
  await second.append(record(4));
  assert.deepEqual(await drain(second), [0, 1, 2, 4].map((i) => String(record(i))));
  await second.close();
});

test('a CRC mismatch is detected: the damaged record and what follows it in the segment are cut off', async () => {
  const dir = await tempDir();
  const first = await openSpool({ dir, maxBytes: 1 << 20, log: quiet() });
  for (let i = 0; i < 3; i += 1) await first.append(record(i));
  await first.close();
  const [segment] = await segmentFiles(dir);
  const file = path.join(dir, segment ?? '');
  const bytes = await readFile(file);
  const second = parseAt(bytes, 0);
  assert.equal(second.kind, 'record');
  const flipAt = (second.kind === 'record' ? second.end : 0) + 20; // inside the payload of record 1
  bytes[flipAt] = (bytes[flipAt] ?? 0) ^ 0x01;
  await writeFile(file, bytes);
  assert.equal(parseAt(bytes, second.kind === 'record' ? second.end : 0).kind, 'corrupt');
  const { log, text } = capturingLog();
  const reopened = await openSpool({ dir, maxBytes: 1 << 20, log });
  assert.match(text(), /CRC mismatch/);
  assert.deepEqual(await drain(reopened), [String(record(0))]);
  await reopened.close();
});

test('the size bound: an append that does not fit fails with SPOOL_FULL, and forwarding makes room again', async () => {
  const dir = await tempDir();
  const maxBytes = 64 * 1024;
  const spool = await openSpool({ dir, maxBytes, log: quiet(), segmentBytes: 8 * 1024 });
  let accepted = 0;
  let refusal: unknown;
  while (refusal === undefined) {
    await spool.append(record(accepted, 1000)).then(() => (accepted += 1), (error: unknown) => (refusal = error));
  }
  assert.equal((refusal as { code?: string }).code, 'SPOOL_FULL');
  assert.equal(accepted, Math.floor(maxBytes / 1016));
  assert.ok(spool.bytes <= maxBytes, `${spool.bytes} bytes`);
  const concurrent = await Promise.allSettled([spool.append(record(0, 1000)), spool.append(record(1, 1000))]);
  assert.deepEqual(concurrent.map((r) => r.status), ['rejected', 'rejected'], 'queued bytes count against the bound too');
  assert.equal((await drain(spool, 100)).length, accepted);
  await spool.append(record(0, 1000));
  assert.ok(spool.bytes < 8 * 1024, 'forwarded segments no longer count');
  await spool.close();
});

test('group commit: concurrent appends share fsyncs, and each resolves only after a sync', async (t) => {
  const dir = await tempDir();
  const probe = await open(path.join(dir, 'probe'), 'w');
  const handlePrototype = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
  await probe.close();
  let syncsCompleted = 0;
  const original = handlePrototype.datasync;
  mock.method(handlePrototype, 'datasync', async function (this: unknown) {
    await original.call(this);
    syncsCompleted += 1;
  });
  const spool = await openSpool({ dir, maxBytes: 64 << 20, log: quiet() });
  syncsCompleted = 0; // the lock file's sync does not count
  // 50 concurrent senders (like concurrent webhook requests), each waiting for its own append.
  const senders = 50;
  const each = 40;
  const syncsSeenByAppend: number[] = [];
  const started = performance.now();
  await Promise.all(Array.from({ length: senders }, async (_, sender) => {
    for (let i = 0; i < each; i += 1) {
      await spool.append(record(sender * each + i, 200));
      syncsSeenByAppend.push(syncsCompleted);
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  const count = senders * each;
  assert.ok(syncsSeenByAppend.every((n) => n >= 1), 'no append resolved before a sync');
  assert.ok(syncsCompleted < count / 4, `${syncsCompleted} fsyncs for ${count} appends`);
  t.diagnostic(`${count} appends from ${senders} concurrent senders in ${seconds.toFixed(3)} s = ${Math.round(count / seconds)} appends/s with ${syncsCompleted} fsyncs`);
  assert.equal(spool.depth, count);
  await spool.close();
});

test('depth, bytes and oldest age are published as metrics; whenEmpty waits for the last ack', async () => {
  const dir = await tempDir();
  const values: Record<string, number> = {};
  const gauge = (name: string) => ({ set: (value: number) => void (values[name] = value) });
  const counter = (name: string) => ({ inc: (by = 1) => void (values[name] = (values[name] ?? 0) + by) });
  const metrics = { spoolDepth: gauge('depth'), spoolBytes: gauge('bytes'), spoolOldestAgeSeconds: gauge('age'), spoolAppended: counter('appended'), spoolForwarded: counter('forwarded') };
  const spool = await openSpool({ dir, maxBytes: 1 << 20, log: quiet(), metrics });
  await Promise.all([spool.append(record(1)), spool.append(record(2))]);
  assert.deepEqual([values.depth, values.bytes, values.appended], [2, 2 * 56, 2]);
  assert.ok(spool.oldestAgeSeconds >= 0 && spool.oldestAgeSeconds < 60);
  let empty = false;
  const emptied = spool.whenEmpty().then(() => (empty = true));
  const batch = await spool.read(1);
  await spool.ack(batch);
  assert.equal(empty, false);
  await spool.ack(await spool.read(10));
  await emptied;
  assert.deepEqual([values.depth, values.bytes, values.forwarded, values.age], [0, 0, 2, 0]);
  await spool.close();
});

test('one spool directory, one owner: a second open is refused until the first closes', async () => {
  const dir = await tempDir();
  const spool = await openSpool({ dir, maxBytes: 1 << 20, log: quiet() });
  await assert.rejects(openSpool({ dir, maxBytes: 1 << 20, log: quiet() }), { code: 'SPOOL_LOCKED' });
  await spool.close();
  await writeFile(path.join(dir, 'LOCK'), '1'); // pid 1 is alive: another process holds the spool
  await assert.rejects(openSpool({ dir, maxBytes: 1 << 20, log: quiet() }), /in use by process 1/);
  await truncate(path.join(dir, 'LOCK'), 0);
  const again = await openSpool({ dir, maxBytes: 1 << 20, log: quiet() });
  await again.close();
});
