import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppError } from '../../errors/index.ts';
import { ReportParseError, parseJUnitXml } from './index.ts';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/junit');

/** Asserts a ReportParseError whose message matches `pattern`, and returns it. */
function unreadable(run: () => unknown, pattern: RegExp): ReportParseError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ReportParseError, `expected ReportParseError, got ${String(caught)}`);
  assert.equal(caught.code, 'REPORT_UNREADABLE');
  assert.match(caught.message, pattern);
  return caught;
}

const suite = (body: string): string => `<?xml version="1.0"?>\n<testsuites><testsuite name="s">${body}</testsuite></testsuites>`;

describe('parseJUnitXml: broken and foreign input', () => {
  it('refuses a truncated document with its position', () => {
    const xml = readFileSync(join(FIXTURES, 'surefire.xml'), 'utf8');
    const error = unreadable(() => parseJUnitXml(xml.slice(0, xml.length / 2)), /not well-formed XML: unclosed tag/);
    assert.ok((error.line ?? 0) > 50, `line ${error.line}`);
    assert.equal(typeof error.column, 'number');
    assert.equal(error.retryable, false);
    assert.ok(error instanceof AppError);
  });

  it('reports line and column of a syntax error', () => {
    const error = unreadable(() => parseJUnitXml('<testsuite>\n  <testcase name="a">\n</testsuite>'), /line 3, column \d+/);
    assert.equal(error.line, 3);
  });

  it('recovers from raw control characters (ANSI escapes) by stripping them', () => {
    const xml = suite('<testcase name="t"><failure>\u001b[31mred\u001b[0m and\u0000 done</failure></testcase>');
    const [test] = parseJUnitXml(xml).tests;
    assert.equal(test?.status, 'failed');
    assert.equal(test?.details, '[31mred[0m and done');
  });

  it('recovers from character references to forbidden characters', () => {
    const xml = suite('<testcase name="t"><failure message="a&#x1B;b &#27;c">x&#1;y &amp; &#x41;</failure></testcase>');
    const [test] = parseJUnitXml(xml).tests;
    assert.deepEqual([test?.message, test?.details], ['ab c', 'xy & A']);
  });

  it('still refuses a broken document after stripping, and says so', () => {
    const xml = suite('<testcase name="t"><failure>\u001b[31m</failure>').slice(0, -30);
    unreadable(() => parseJUnitXml(xml), /after removing 1 characters that XML 1\.0 forbids/);
  });

  it('refuses well-formed XML that is not a JUnit report', () => {
    unreadable(
      () => parseJUnitXml('<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>'),
      /not a JUnit report: the root element is <html>, expected <testsuites> or <testsuite>/,
    );
    unreadable(() => parseJUnitXml('<testcase name="x"/>'), /root element is <testcase>/);
  });

  it('refuses input that is not XML at all', () => {
    unreadable(() => parseJUnitXml('{"test_suites": []}'), /not XML \(the document starts with "\{"\)/);
    unreadable(() => parseJUnitXml('Error: no tests found'), /not XML/);
  });

  it('refuses empty input rather than reporting an empty pass', () => {
    unreadable(() => parseJUnitXml(''), /empty/);
    unreadable(() => parseJUnitXml(' \n\t'), /empty/);
    unreadable(() => parseJUnitXml(Buffer.alloc(0)), /empty/);
    unreadable(() => parseJUnitXml('<?xml version="1.0"?>'), /document must contain a root element/);
  });

  it('does not expand entities declared in a DTD', () => {
    const xml = '<!DOCTYPE testsuite [<!ENTITY boom "boom">]><testsuite><testcase name="&boom;"/></testsuite>';
    unreadable(() => parseJUnitXml(xml), /undefined entity/);
  });
});

describe('parseJUnitXml: defensive limits', () => {
  const nested = (depth: number): string =>
    '<testsuite name="d">'.repeat(depth) + '<testcase name="deep"/>' + '</testsuite>'.repeat(depth);

  it('refuses nesting deeper than 64 elements by default', () => {
    const error = unreadable(() => parseJUnitXml(nested(100)), /nested deeper than the limit of 64/);
    assert.equal(error.line, 1);
  });

  it('accepts nesting within the limit and honours a custom limit', () => {
    assert.equal(parseJUnitXml(nested(63)).tests[0]?.fullName, 'd › deep');
    unreadable(() => parseJUnitXml(nested(10), { maxDepth: 8 }), /limit of 8/);
  });

  it('refuses documents over the size limit before parsing', () => {
    unreadable(() => parseJUnitXml(suite(''), { maxBytes: 10 }), /over the limit of 10 bytes/);
    const big = suite(`<testcase name="t"><system-out>${'x'.repeat(21 * 1024 * 1024)}</system-out></testcase>`);
    unreadable(() => parseJUnitXml(big), /over the limit of 20971520 bytes/);
  });

  it('bounds message and details, saying how much was cut', () => {
    const body = 'y'.repeat(10_000);
    const xml = suite(`<testcase name="t"><failure message="${body}">${body}</failure></testcase>`);
    const [test] = parseJUnitXml(xml, { maxTextChars: 100 }).tests;
    assert.equal(test?.details, `${'y'.repeat(100)}\n… [9900 more characters truncated]`);
    assert.equal(test?.message, `${'y'.repeat(100)}\n… [9900 more characters truncated]`);
  });
});

describe('parseJUnitXml: semantics', () => {
  it('applies failure -> error -> skipped precedence regardless of element order', () => {
    const xml = suite(
      '<testcase name="a"><skipped/><error message="e"/><failure message="f"/></testcase>' +
        '<testcase name="b"><skipped message="s"/><error message="e"/></testcase>',
    );
    const [a, b] = parseJUnitXml(xml).tests;
    assert.deepEqual([a?.status, a?.message], ['failed', 'f']);
    assert.deepEqual([b?.status, b?.message], ['error', 'e']);
  });

  it('counts rerunFailure that ends in a pass as flaky, never as failed', () => {
    const xml = suite('<testcase name="r"><rerunFailure message="first try"/></testcase>');
    const [test] = parseJUnitXml(xml).tests;
    assert.deepEqual([test?.status, test?.flaky, test?.message], ['passed', true, null]);
  });

  it('turns an <error> on a suite into a suite error', () => {
    const xml = '<testsuites><testsuite name="Calc"><error message="class init failed"/></testsuite></testsuites>';
    const report = parseJUnitXml(xml);
    assert.deepEqual(report.suiteErrors, ['Calc: class init failed']);
    assert.equal(report.totals.tests, 0);
  });

  it('reads a readable report without test cases as zero tests', () => {
    const report = parseJUnitXml('<testsuites name="empty"><testsuite name="pkg" tests="3"/></testsuites>');
    assert.deepEqual(report.totals, { tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0 });
  });

  it('accepts a test case directly under <testsuites>', () => {
    const [test] = parseJUnitXml('<testsuites><testcase classname="C" name="m"/></testsuites>').tests;
    assert.deepEqual([test?.suite, test?.fullName], ['', 'C › m']);
  });
});

describe('parseJUnitXml: encodings', () => {
  const latin = '<?xml version="1.0" encoding="ISO-8859-1"?><testsuite name="s"><testcase name="Prüfung"/></testsuite>';

  it('decodes a Buffer by its declared encoding', () => {
    assert.equal(parseJUnitXml(Buffer.from(latin, 'latin1')).tests[0]?.name, 'Prüfung');
  });

  it('decodes UTF-16 with a byte order mark and UTF-8 with a BOM', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(latin.replace('ISO-8859-1', 'UTF-16'), 'utf16le')]);
    assert.equal(parseJUnitXml(utf16).tests[0]?.name, 'Prüfung');
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(latin.replace('ISO-8859-1', 'UTF-8'))]);
    assert.equal(parseJUnitXml(utf8).tests[0]?.name, 'Prüfung');
    assert.equal(parseJUnitXml(`\uFEFF${latin}`).tests[0]?.name, 'Prüfung');
  });
});
