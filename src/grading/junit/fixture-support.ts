// Shared by the fixture tests: the JUnit files in ../shared/fixtures/junit, and a lookup that
// insists a test name appears exactly once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCaseResult, TestReport } from './index.ts';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/junit');

export const readFixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

export function findTest(report: TestReport, fullName: string): TestCaseResult {
  const found = report.tests.filter((test) => test.fullName === fullName);
  assert.equal(found.length, 1, `exactly one test named ${fullName}`);
  return found[0] as TestCaseResult;
}
