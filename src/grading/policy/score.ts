// Points of a test report under an assignment's `scoring`.
import type { Scoring } from '../../courses/types.ts';
import type { TestReport, TestStatus } from '../junit/types.ts';
import { round2 } from './rounding.ts';
import { compileWeights, ruleFor } from './weights.ts';

export interface ScoredTest {
  /** The test's fullName (its grading identity). */
  readonly name: string;
  readonly status: TestStatus;
  /** Earned, in the teacher's weight units (not scaled to maxScore). */
  readonly points: number;
  /** The test's weight, in the teacher's units. */
  readonly maxPoints: number;
  readonly message: string | null;
}

/**
 * - scored: the usual case;
 * - no-tests: the report holds no test case (score 0);
 * - no-points: tests ran but every one weighs 0 (score 0), most likely a
 *   weights/default mistake in the course file.
 */
export type ScoreVerdict = 'scored' | 'no-tests' | 'no-points';

export interface ScoreResult {
  /** Out of maxScore, rounded to 2 decimals. */
  readonly score: number;
  readonly maxScore: number;
  /** Test cases with status `passed`. */
  readonly passed: number;
  /** All test cases, skipped ones included. */
  readonly total: number;
  readonly verdict: ScoreVerdict;
  /**
   * The report has suite errors: a suite that could not run contributes no test
   * cases, so its tests are missing from the total and the score may overstate.
   */
  readonly incomplete: boolean;
  readonly tests: readonly ScoredTest[];
}

/**
 * Only `passed` earns points. Skipped tests earn 0 but still count in the total
 * possible: a required test the student's code made skip is not a pass, and a
 * skip must not shrink the denominator. Errors earn 0 like failures.
 *
 * Raw points are scaled to maxScore (earned / possible * maxScore) so weights can
 * be written in any unit; the only rounding happens once, on the final score.
 */
export function scoreReport(report: TestReport, scoring: Scoring): ScoreResult {
  const rules = compileWeights(scoring.weights);
  const tests = report.tests.map((test): ScoredTest => {
    const maxPoints = ruleFor(rules, test.fullName, test.name)?.points ?? scoring.default;
    const points = test.status === 'passed' ? maxPoints : 0;
    return { name: test.fullName, status: test.status, points, maxPoints, message: test.message };
  });
  let earned = 0;
  let possible = 0;
  for (const test of tests) {
    earned += test.points;
    possible += test.maxPoints;
  }
  const verdict: ScoreVerdict = tests.length === 0 ? 'no-tests' : possible === 0 ? 'no-points' : 'scored';
  // Multiply before dividing: 7 * 100 / 10 is exactly 70, 7 / 10 * 100 is not.
  const score = verdict === 'scored' ? round2((earned * scoring.maxScore) / possible) : 0;
  return {
    score,
    maxScore: scoring.maxScore,
    passed: tests.filter((test) => test.status === 'passed').length,
    total: tests.length,
    verdict,
    incomplete: report.suiteErrors.length > 0,
    tests,
  };
}
