import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJUnitXml, parseTimeSeconds } from './index.ts';

describe('parseTimeSeconds', () => {
  it('reads the precisions real tools write', () => {
    const cases: Array<[string, number]> = [
      ['0', 0],
      ['0.0', 0],
      ['0.000970', 0.00097],
      ['421.580', 421.58],
      ['2.1', 2.1],
      ['.5', 0.5],
      ['3.', 3],
      [' 0.25 ', 0.25],
      ['1.5E-3', 0.0015],
    ];
    for (const [raw, expected] of cases) assert.equal(parseTimeSeconds(raw), expected, raw);
  });

  it('returns null for a missing or empty value', () => {
    assert.equal(parseTimeSeconds(undefined), null);
    assert.equal(parseTimeSeconds(''), null);
    assert.equal(parseTimeSeconds('   '), null);
  });

  it('strips thousands separators when they cannot be a decimal comma', () => {
    assert.equal(parseTimeSeconds('2,120.532'), 2120.532); // Surefire 3.1.0
    assert.equal(parseTimeSeconds('14,029.255'), 14029.255); // JUnit console launcher
    assert.equal(parseTimeSeconds('1,234,567'), 1234567);
  });

  it('reads a decimal comma (old Surefire under fr/pt locales)', () => {
    assert.equal(parseTimeSeconds('0,03'), 0.03);
    assert.equal(parseTimeSeconds('12,5'), 12.5);
    assert.equal(parseTimeSeconds('0,030'), 0.03);
  });

  it('gives up on "1,078": 1078 s in English, 1.078 s in French', () => {
    assert.equal(parseTimeSeconds('1,078'), null);
  });

  it('converts unit suffixes', () => {
    assert.ok(Math.abs((parseTimeSeconds('80.803us') ?? -1) - 0.000080803) < 1e-12); // kotest
    assert.equal(parseTimeSeconds('250ms'), 0.25);
    assert.equal(parseTimeSeconds('1.5 s'), 1.5);
    assert.equal(parseTimeSeconds('2min'), 120);
  });

  it('rejects garbage, negative and non-finite values', () => {
    for (const raw of ['abc', '-1', '1e400', 'NaN', 'Infinity', '1.2.3', '12 parsecs', '1,2,3']) {
      assert.equal(parseTimeSeconds(raw), null, raw);
    }
  });

  it('is what the XML parser uses for <testcase time>', () => {
    const xml =
      '<testsuite name="s"><testcase name="a" time="2,120.532"/><testcase name="b" time="0,03"/>' +
      '<testcase name="c" time="80.803us"/><testcase name="d"/><testcase name="e" time="soon"/></testsuite>';
    const times = parseJUnitXml(xml).tests.map((test) => test.timeSeconds);
    assert.equal(times[0], 2120.532);
    assert.equal(times[1], 0.03);
    assert.ok(Math.abs((times[2] ?? -1) - 0.000080803) < 1e-12);
    assert.deepEqual(times.slice(3), [null, null]);
  });
});
