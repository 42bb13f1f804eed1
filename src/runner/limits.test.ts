// Hostile submissions: each must end with its verdict within bounded time and leave no
// process of the sandbox uid behind (checked in /proc after every test).
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createFixture, SORT_TESTS, survivors } from './test-support.ts';
import type { Fixture } from './test-support.ts';

const UID = 61002;
let fx: Fixture;

before(async () => {
  fx = await createFixture({ sandboxUid: UID, sandboxGid: UID });
  await fx.hiddenTests({ 'sort.test.mjs': SORT_TESTS });
});
afterEach(async () => {
  assert.deepEqual(await survivors(UID), [], 'processes of the sandbox uid survived');
});
after(() => fx.cleanup());

async function runSort(code: string, check: Parameters<Fixture['run']>[1] = {}) {
  const { sha } = await fx.commit({ 'src/sort.js': code });
  const started = performance.now();
  const outcome = await fx.run(sha, check);
  return { outcome, elapsedMs: performance.now() - started };
}

test('an endless loop ends with time-limit just after the timeout', async () => {
  const { outcome, elapsedMs } = await runSort('export function sort(a) { for (;;) {} }\n', { timeoutSeconds: 3 });
  assert.equal(outcome.verdict, 'time-limit');
  assert.equal(outcome.message, 'Time limit of 3 s exceeded; the run was stopped.');
  assert.equal(outcome.exitCode, null);
  assert.deepEqual(outcome.reports, []);
  assert.ok(outcome.durationMs >= 3000 && elapsedMs < 6000, `took ${elapsedMs} ms`);
  assert.match((await fx.store.get(outcome.logUri ?? '')).toString(), /verdict=time-limit/);
});

test('a memory hog ends with memory-limit', async () => {
  const hog = 'export function sort(a) { const keep = []; for (;;) keep.push(Buffer.alloc(1 << 20, 1)); }\n';
  const { outcome, elapsedMs } = await runSort(hog, { memoryMb: 128, timeoutSeconds: 20 });
  assert.equal(outcome.verdict, 'memory-limit', outcome.message);
  assert.equal(outcome.message, 'Memory limit of 128 MB exceeded; the run was stopped.');
  assert.ok(elapsedMs < 10_000, `took ${elapsedMs} ms`);
});

test('a process-spawning loop ends with process-limit (or time-limit), bounded', async () => {
  const bomb = "import { spawn } from 'node:child_process';\n" +
    "export function sort(a) { for (;;) { try { spawn('/bin/sh', ['-c', 'sleep 1000']).on('error', () => {}); } catch {} } }\n";
  const { outcome, elapsedMs } = await runSort(bomb, { timeoutSeconds: 10 });
  assert.ok(['process-limit', 'time-limit'].includes(outcome.verdict), outcome.verdict);
  assert.ok(elapsedMs < 15_000, `took ${elapsedMs} ms`);
});

test('a classic shell fork bomb is contained', async () => {
  const { sha } = await fx.commit({});
  const started = performance.now();
  const outcome = await fx.run(sha, { command: "bash -c ':(){ :|:& };:'; sleep 1000", timeoutSeconds: 5 });
  assert.ok(['process-limit', 'time-limit'].includes(outcome.verdict), outcome.verdict);
  assert.ok(performance.now() - started < 10_000);
});

test('an output flood ends with output-limit and a bounded log', async () => {
  // A program of the student's, run before the tests (a build, a demo), prints forever. Not
  // `for (;;) console.log()`: that queues in memory once the pipe is full (memory-limit).
  const demo = "const line = 'spam '.repeat(1000) + '\\n';\nconst go = () => process.stdout.write(line, go);\ngo();\n";
  const { sha } = await fx.commit({ 'src/demo.js': demo });
  const started = performance.now();
  const command = 'node src/demo.js; node --test --test-reporter=junit --test-reporter-destination=report.xml';
  const outcome = await fx.run(sha, { command, timeoutSeconds: 20 });
  assert.equal(outcome.verdict, 'output-limit', outcome.message);
  assert.match(outcome.message, /Output limit of 4 MiB/);
  const log = await fx.store.get(outcome.logUri ?? '');
  assert.ok(log.length <= 1024 * 1024 + 1024, `log is ${log.length} bytes`);
  assert.match(log.toString(), /bytes of output omitted/);
  assert.ok(performance.now() - started < 10_000);
});

test('background processes do not outlive a normal run', async () => {
  const { sha } = await fx.commit({ 'src/sort.js': 'export function sort(a) { return [...a].sort((x, y) => x - y); }\n' });
  const command = '(setsid sleep 1000 &); nohup sleep 1000 >/dev/null 2>&1 & ' +
    'node --test --test-reporter=junit --test-reporter-destination=report.xml';
  const outcome = await fx.run(sha, { command });
  assert.equal(outcome.verdict, 'completed', outcome.message);
  // afterEach checks that both sleeps are gone.
});

test('a report that is a symlink to a host file is not read', async () => {
  const { sha } = await fx.commit({});
  const outcome = await fx.run(sha, { command: 'ln -s /etc/passwd report.xml' });
  assert.equal(outcome.verdict, 'no-report');
  assert.match(outcome.message, /report report\.xml ignored/);
  assert.doesNotMatch(outcome.message, /root:/);
});
