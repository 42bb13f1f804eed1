// The only way into grading policy: pure functions from a test report and an
// assignment's rules to a grade. No I/O and no clock: callers pass every instant.
export { scoreReport } from './score.ts';
export type { ScoreResult, ScoredTest, ScoreVerdict } from './score.ts';
export { applyLatePenalty, daysLate } from './late.ts';
export type { LatePenaltyResult } from './late.ts';
export { countingSubmission } from './counting.ts';
export type { GradeRecord } from './counting.ts';
export { compileWeights, matches, ruleFor } from './weights.ts';
export type { WeightRule } from './weights.ts';
export { round2 } from './rounding.ts';
