// runCheck end to end with real git repositories, real bwrap and real Node test runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, readdir } from 'node:fs/promises';
import { AppError } from '../errors/index.ts';
import { createLogger } from '../logging/logger.ts';
import { runWithInfraRetries } from './infra-retry.ts';
import { parseJUnitXml } from '../grading/junit/index.ts';
import { createFixture, GOOD_SORT, JUNIT_COMMAND, SORT_TESTS, survivors } from './test-support.ts';
import type { Fixture } from './test-support.ts';

const UID = 61001;
let fx: Fixture;

before(async () => {
  fx = await createFixture({ sandboxUid: UID, sandboxGid: UID });
  await fx.hiddenTests({ 'sort.test.mjs': SORT_TESTS });
});
after(async () => {
  assert.deepEqual(await survivors(UID), []);
  await fx.cleanup();
});

test('a correct solution completes with a report in which every test passed', async () => {
  const { sha } = await fx.commit({ 'src/sort.js': GOOD_SORT });
  const outcome = await fx.run(sha, {});
  assert.equal(outcome.verdict, 'completed', outcome.message);
  assert.equal(outcome.exitCode, 0);
  assert.equal(outcome.reports.length, 1);
  const report = parseJUnitXml(outcome.reports[0] ?? '');
  assert.deepEqual(report.totals, { tests: 4, passed: 4, failed: 0, errors: 0, skipped: 0 });
  assert.deepEqual(outcome.reportUris, ['artifacts/algo%3Ahw1%3Aalice/report-1.xml']);
  assert.equal((await fx.store.get(outcome.reportUris[0] ?? '')).toString(), outcome.reports[0]);
  assert.match((await fx.store.get(outcome.logUri ?? '')).toString(), /verdict=completed exit=0/);
  assert.deepEqual(await readdir(fx.workRoot), [], 'the work dir is removed');
});

test('the sandbox is leased only around the run: after the checkout, back before the artifacts are stored', async () => {
  const LEASED = 61002;
  const { sha } = await fx.commit({ 'src/sort.js': GOOD_SORT });
  const steps: string[] = [];
  const acquireSandbox = async () => {
    steps.push('acquire');
    return { uid: LEASED, gid: LEASED, release: () => steps.push('release') };
  };
  const store = { put: async (key: string, data: Buffer | string) => { steps.push(`put ${key.split('/')[1]}`); return fx.store.put(key, data); }, get: (uri: string) => fx.store.get(uri) };
  const outcome = await fx.run(sha, { command: `id -u; ${JUNIT_COMMAND}` }, { deps: { acquireSandbox, store } });
  assert.equal(outcome.verdict, 'completed', outcome.message);
  assert.match((await fx.store.get(outcome.logUri ?? '')).toString(), new RegExp(`^${LEASED}$`, 'm'), 'runs as the leased uid');
  assert.deepEqual(steps.slice(0, 2), ['acquire', 'release']);
  assert.deepEqual(steps.slice(2).sort(), ['put log.txt', 'put report-1.xml']);
  assert.deepEqual(await survivors(LEASED), []);
  // A commit that cannot be fetched never takes a slot from the checks that can run.
  steps.length = 0;
  await assert.rejects(fx.run('e'.repeat(40), {}, { deps: { acquireSandbox } }), { code: 'CHECK_INFRA' });
  assert.deepEqual(steps, []);
});

test('a refused lease is the caller\'s error: neither a verdict nor an infrastructure retry', async () => {
  const { url, sha } = await fx.commit({ 'src/sort.js': GOOD_SORT });
  const refusal = new AppError('CHECK_SUPERSEDED', 'a newer push', { retryable: false });
  let asked = 0;
  const acquireSandbox = async () => { asked += 1; throw refusal; };
  const job = { submissionId: 'algo:hw1:bob', repoUrl: url, commitSha: sha, check: { executor: 'local' as const, tests: await fx.hiddenTests({ 'sort.test.mjs': SORT_TESTS }), command: 'true', report: 'report.xml', timeoutSeconds: 30, memoryMb: 256 } };
  const log = createLogger('silent');
  await assert.rejects(runWithInfraRetries(job, { workRoot: fx.workRoot, store: fx.store, acquireSandbox }, log, { delayMs: 1 }), (error) => error === refusal);
  assert.equal(asked, 1, 'not retried');
  assert.deepEqual(await readdir(fx.workRoot), [], 'the checkout is removed');
});

test('a partly correct solution completes, exit code 1, with some failures', async () => {
  // Sorts in place: right order, but modifies its argument.
  const { sha } = await fx.commit({ 'src/sort.js': 'export function sort(a) { return a.sort((x, y) => x - y); }\n' });
  const outcome = await fx.run(sha, {});
  assert.equal(outcome.verdict, 'completed', outcome.message);
  assert.equal(outcome.exitCode, 1);
  const totals = parseJUnitXml(outcome.reports[0] ?? '').totals;
  assert.equal(totals.passed, 3);
  assert.equal(totals.failed, 1);
});

test('a syntax error under node --test: completed, the test file is reported as one failure', async () => {
  // node --test reports a test file that cannot load as a failed test of its own, so a report
  // exists and the verdict is 'completed' (score 0), not 'no-report'.
  const { sha } = await fx.commit({ 'src/sort.js': 'export function sort(a) { return a.sort(( }\n' });
  const outcome = await fx.run(sha, {});
  assert.equal(outcome.verdict, 'completed', outcome.message);
  const report = parseJUnitXml(outcome.reports[0] ?? '');
  assert.equal(report.totals.passed, 0);
  assert.deepEqual(report.tests.map((t) => [t.name, t.status]), [['sort.test.mjs', 'failed']]);
  // With the junit reporter alone the SyntaxError text is in neither the report nor the log;
  // adding `--test-reporter=spec --test-reporter-destination=stdout` puts it in the log.
});

test('a compile step that fails leaves no report: no-report with the output tail', async () => {
  const { sha } = await fx.commit({ 'src/sort.js': 'export function sort(a) { return a.sort(( }\n' });
  const command = 'node --check src/sort.js && node --test --test-reporter=junit --test-reporter-destination=report.xml';
  const outcome = await fx.run(sha, { command });
  assert.equal(outcome.verdict, 'no-report');
  assert.equal(outcome.exitCode, 1);
  assert.deepEqual(outcome.reports, []);
  assert.match(outcome.message, /No test report matching "report\.xml"/);
  assert.match(outcome.message, /SyntaxError/);
  assert.ok(outcome.message.length < 3000);
  assert.notEqual(outcome.logUri, null);
});

test('hidden tests override a student file of the same name', async () => {
  const fake = "import { test } from 'node:test';\ntest('student says everything is fine', () => {});\n";
  const { sha } = await fx.commit({ 'src/sort.js': 'export function sort(a) { return a; }\n', 'sort.test.mjs': fake });
  const outcome = await fx.run(sha, {});
  const report = parseJUnitXml(outcome.reports[0] ?? '');
  const names = report.tests.map((t) => t.name).sort();
  assert.deepEqual(names, ['does not modify its argument', 'sorts already sorted input', 'sorts an empty array', 'sorts numbers']);
  assert.equal(report.totals.failed, 1);
});

test('the code runs as the unprivileged uid, with a read-only system and no host secrets', async () => {
  const probe = `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
test('uid ' + process.getuid() + ' gid ' + process.getgid(), () => {});
test('isolation', () => {
  assert.equal(existsSync('/etc/shadow'), false);
  assert.equal(existsSync(${JSON.stringify(fx.root)}), false);
  assert.throws(() => writeFileSync('/usr/evil', 'x'));
  assert.throws(() => writeFileSync('/evil', 'x'));
  writeFileSync('/tmp/ok', 'x');
  writeFileSync('/work/ok', 'x');
});`;
  await fx.hiddenTests({ 'probe.test.mjs': probe });
  try {
    const outcome = await fx.run((await fx.commit({})).sha, {});
    const report = parseJUnitXml(outcome.reports[0] ?? '');
    assert.deepEqual(report.tests.map((t) => [t.name, t.status]), [[`uid ${UID} gid ${UID}`, 'passed'], ['isolation', 'passed']]);
  } finally {
    await fx.hiddenTests({ 'sort.test.mjs': SORT_TESTS });
  }
});

test('the sandbox has no network: a server on the host loopback receives nothing', async () => {
  let requests = 0;
  const server = createServer((_req, res) => { requests++; res.end('hello'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const probe = `
import { test } from 'node:test';
import assert from 'node:assert/strict';
test('fetch fails', async () => { await assert.rejects(fetch('http://127.0.0.1:${port}/')); });`;
  await fx.hiddenTests({ 'net.test.mjs': probe });
  try {
    const outcome = await fx.run((await fx.commit({})).sha, {});
    assert.equal(parseJUnitXml(outcome.reports[0] ?? '').totals.passed, 1, outcome.reports[0]);
    assert.equal(requests, 0);
    await fetch(`http://127.0.0.1:${port}/`); // the server itself was reachable from the host
    assert.equal(requests, 1);
  } finally {
    server.close();
    await fx.hiddenTests({ 'sort.test.mjs': SORT_TESTS });
  }
});

test('the git token reaches neither the sandbox nor the log', async () => {
  const token = 'test-SECRET-token-1234567890';
  const probe = `
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
test('no token in env', () => {
  console.log(JSON.stringify(process.env));
  assert.equal(JSON.stringify(process.env).includes(${JSON.stringify(token.slice(6))}), false);
  assert.equal(Object.keys(process.env).some((k) => k.startsWith('GIT_')), false);
});`;
  await fx.hiddenTests({ 'env.test.mjs': probe });
  try {
    const { sha } = await fx.commit({ 'leak.txt': token });
    const command = 'cat leak.txt; node --test --test-reporter=junit --test-reporter-destination=report.xml';
    const outcome = await fx.run(sha, { command }, { token });
    assert.equal(parseJUnitXml(outcome.reports[0] ?? '').totals.passed, 1, outcome.reports[0]);
    const log = (await fx.store.get(outcome.logUri ?? '')).toString();
    assert.match(log, /\[REDACTED\]/, 'the student printed it: masked');
    assert.equal(log.includes(token), false);
  } finally {
    await fx.hiddenTests({ 'sort.test.mjs': SORT_TESTS });
  }
});

test('infrastructure failures throw CHECK_INFRA and never become verdicts', async () => {
  const { sha } = await fx.commit({});
  await assert.rejects(fx.run('0123456789abcdef0123456789abcdef01234567', {}), { code: 'CHECK_INFRA', retryable: true });
  await assert.rejects(fx.run(sha, {}, { url: 'file:///nonexistent/repo.git' }), { code: 'CHECK_INFRA', retryable: true });
  await assert.rejects(fx.run(sha, { tests: '/nonexistent/tests' }), { code: 'CHECK_INFRA', retryable: true });
  await assert.rejects(fx.run('HEAD', {}), { code: 'CHECK_INVALID_JOB', retryable: false });
  // bwrap cannot start when the sandbox uid cannot reach the work dir: host problem, not a verdict.
  await chmod(fx.root, 0o700);
  try {
    await assert.rejects(fx.run(sha, {}), (error: AppError) => {
      assert.equal(error.code, 'CHECK_INFRA');
      assert.match(error.message, /sandbox failed to start .*bwrap: Can't find source path/s);
      return true;
    });
  } finally {
    await chmod(fx.root, 0o711);
  }
  assert.deepEqual(await readdir(fx.workRoot), [], 'work dirs are removed after failures too');
});
