import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mergeReports, parseJUnitXml } from './index.ts';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/junit');

const file = (classname: string, cases: string): string =>
  `<testsuite name="${classname}">${cases.replaceAll('CLASS', classname)}</testsuite>`;

describe('mergeReports', () => {
  it('concatenates the per-class files of one Surefire run and recounts', () => {
    const merged = mergeReports([
      parseJUnitXml(readFileSync(join(FIXTURES, 'surefire.xml'))),
      parseJUnitXml(readFileSync(join(FIXTURES, 'surefire-flaky.xml'))),
    ]);
    assert.deepEqual(merged.totals, { tests: 12, passed: 7, failed: 3, errors: 1, skipped: 1 });
    assert.equal(merged.tests[0]?.fullName, 'edu.course.lab3.GradebookTest › averageKeepsFractions');
    assert.equal(merged.tests[11]?.fullName, 'org.acme.FlakyTest › testStable');
  });

  it('de-duplicates by fullName: the worst result wins, wherever it appears', () => {
    const outer = parseJUnitXml(file('T', '<testcase classname="CLASS" name="a"/><testcase classname="CLASS" name="b"><failure message="no"/></testcase>'));
    const nested = parseJUnitXml(file('T', '<testcase classname="CLASS" name="a"><error message="boom"/></testcase><testcase classname="CLASS" name="b"/>'));
    const merged = mergeReports([outer, nested]);
    assert.deepEqual(merged.tests.map((t) => [t.fullName, t.status, t.message]), [
      ['T › a', 'error', 'boom'],
      ['T › b', 'failed', 'no'],
    ]);
    assert.deepEqual(merged.totals, { tests: 2, passed: 0, failed: 1, errors: 1, skipped: 0 });
  });

  it('prefers a result that ran over a skip, and keeps flaky from any copy', () => {
    const skipped = parseJUnitXml(file('T', '<testcase classname="CLASS" name="a"><skipped/></testcase>'));
    const flaky = parseJUnitXml(file('T', '<testcase classname="CLASS" name="a" time="2"><flakyFailure/></testcase>'));
    const plain = parseJUnitXml(file('T', '<testcase classname="CLASS" name="a" time="1"/>'));
    const [test] = mergeReports([skipped, flaky, plain]).tests;
    assert.deepEqual([test?.status, test?.flaky, test?.timeSeconds], ['passed', true, 2]);
    const [reversed] = mergeReports([plain, flaky]).tests;
    assert.deepEqual([reversed?.status, reversed?.flaky, reversed?.timeSeconds], ['passed', true, 1]);
  });

  it('keeps suite errors of every report once, and merges nothing into an empty report', () => {
    const broken = parseJUnitXml('<testsuite name="S"><error message="init failed"/></testsuite>');
    const merged = mergeReports([broken, broken]);
    assert.deepEqual(merged.suiteErrors, ['S: init failed']);
    assert.deepEqual(mergeReports([]), {
      tests: [],
      totals: { tests: 0, passed: 0, failed: 0, errors: 0, skipped: 0 },
      suiteErrors: [],
    });
  });

  it('does not modify its inputs', () => {
    const a = parseJUnitXml(file('T', '<testcase classname="CLASS" name="x"><flakyError/></testcase>'));
    const b = parseJUnitXml(file('T', '<testcase classname="CLASS" name="x"><failure/></testcase>'));
    const before = structuredClone([a, b]);
    const [test] = mergeReports([a, b]).tests;
    assert.deepEqual([test?.status, test?.flaky], ['failed', true]);
    assert.deepEqual([a, b], before);
  });
});
