// Small pieces of the runner that need no sandbox: output capture, redaction, the tests
// overlay and report collection against hostile work dirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BoundedOutput } from './output.ts';
import { redact, secretForms } from './redact.ts';
import { collectReports } from './reports.ts';
import { overlayTests } from './workspace.ts';

const LIMITS = { maxReports: 2, maxReportBytes: 100, maxScanEntries: 1000 };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gradeflow-units-'));
  try { await fn(dir); } finally { await rm(dir, { recursive: true, force: true }); }
}

test('BoundedOutput keeps head and tail and counts everything', () => {
  const out = new BoundedOutput(8); // 6 head + 2 tail
  out.push(Buffer.from('abcd'));
  out.push(Buffer.from('efghij'));
  out.push(Buffer.from('klmn'));
  assert.equal(out.total, 14);
  assert.equal(out.omitted, 6);
  assert.equal(out.text(), 'abcdef\n[... 6 bytes of output omitted ...]\nmn');
  assert.equal(out.lastBytes(3), 'fmn');
  const small = new BoundedOutput(100);
  small.push(Buffer.from('hello'));
  assert.equal(small.text(), 'hello');
});

test('redact masks the token in every form it travels in', () => {
  const forms = secretForms('a+b/c');
  const text = `x a+b/c y ${encodeURIComponent('a+b/c')} z ${Buffer.from('oauth2:a+b/c').toString('base64')}`;
  assert.equal(redact(text, forms), 'x [REDACTED] y [REDACTED] z [REDACTED]');
  assert.deepEqual(secretForms(null), []);
});

test('the overlay replaces student files and never writes through student symlinks', async () => {
  await withDir(async (dir) => {
    const tests = path.join(dir, 'tests');
    const work = path.join(dir, 'work');
    const outside = path.join(dir, 'outside');
    await mkdir(path.join(tests, 'spec'), { recursive: true });
    await writeFile(path.join(tests, 'sort.test.mjs'), 'hidden');
    await writeFile(path.join(tests, 'spec', 'a.test.mjs'), 'hidden a');
    await writeFile(path.join(tests, 'helper.mjs'), 'hidden helper');
    await mkdir(outside);
    await writeFile(path.join(outside, 'helper.mjs'), 'host file');
    await mkdir(work);
    await writeFile(path.join(work, 'sort.test.mjs'), 'student');
    await symlink(outside, path.join(work, 'spec'));
    await symlink(path.join(outside, 'helper.mjs'), path.join(work, 'helper.mjs'));
    await overlayTests(tests, work);
    assert.equal(await readFile(path.join(work, 'sort.test.mjs'), 'utf8'), 'hidden');
    assert.equal(await readFile(path.join(work, 'spec', 'a.test.mjs'), 'utf8'), 'hidden a');
    assert.equal(await readFile(path.join(work, 'helper.mjs'), 'utf8'), 'hidden helper');
    assert.equal(await readFile(path.join(outside, 'helper.mjs'), 'utf8'), 'host file');
    await assert.rejects(readFile(path.join(outside, 'a.test.mjs')), { code: 'ENOENT' });
    await assert.rejects(readlink(path.join(work, 'spec')), { code: 'EINVAL' }, 'now a real directory');
  });
});

test('reports: glob match, sorted, bounded in number and size, no symlinks, no FIFOs', async () => {
  await withDir(async (dir) => {
    await mkdir(path.join(dir, 'out', 'deep'), { recursive: true });
    await writeFile(path.join(dir, 'out', 'b.xml'), '<b/>');
    await writeFile(path.join(dir, 'out', 'deep', 'a.xml'), '<a/>');
    await writeFile(path.join(dir, 'out', 'notes.txt'), 'no');
    const found = await collectReports(dir, 'out/**/*.xml', LIMITS);
    assert.deepEqual(found.reports.map((r) => [r.path, r.text]), [['out/b.xml', '<b/>'], ['out/deep/a.xml', '<a/>']]);
    assert.deepEqual(found.problems, []);
    const capped = await collectReports(dir, 'out/**/*.xml', { ...LIMITS, maxReports: 1 });
    assert.deepEqual(capped.reports.map((r) => r.path), ['out/b.xml']);
    assert.match(capped.problems.join(), /2 reports matched; only the first 1/);

    await writeFile(path.join(dir, 'out', 'c.xml'), 'x'.repeat(101));
    await symlink('/etc/passwd', path.join(dir, 'out', 'a-link.xml'));
    execFileSync('mkfifo', [path.join(dir, 'out', 'fifo.xml')]);
    const all = await collectReports(dir, 'out/*.xml', { ...LIMITS, maxReports: 10 });
    assert.deepEqual(all.reports.map((r) => r.path), ['out/b.xml']);
    assert.equal(all.problems.length, 3, all.problems.join('\n'));
    assert.ok(all.problems.some((p) => p.includes('c.xml') && p.includes('larger than 100')));
    assert.ok(all.problems.some((p) => p.includes('a-link.xml')));
    assert.ok(all.problems.some((p) => p.includes('fifo.xml') && p.includes('not a regular file')));
  });
});

test('reports: a symlinked directory is not walked', async () => {
  await withDir(async (dir) => {
    await mkdir(path.join(dir, 'host'));
    await writeFile(path.join(dir, 'host', 'secret.xml'), '<secret/>');
    await mkdir(path.join(dir, 'work'));
    await symlink(path.join(dir, 'host'), path.join(dir, 'work', 'reports'));
    const found = await collectReports(path.join(dir, 'work'), 'reports/*.xml', LIMITS);
    assert.deepEqual(found.reports, []);
  });
});
