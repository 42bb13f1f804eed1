// Test-name patterns of `scoring.weights` -> points of one test.
//
// Specificity (the most specific matching pattern wins, whatever the key order
// in the course file — JS objects list integer-like keys first anyway):
//   1. a pattern without '*' (an exact name) beats any wildcard pattern;
//   2. then the pattern with more literal (non-'*') characters wins, so an
//      exact fullName ("Sort › empty") beats the exact bare name ("empty");
//   3. remaining ties go to the pattern that sorts first by code unit, only
//      so that the outcome never depends on the order keys were written in.
// A pattern matches a test when it matches its fullName or its bare name.

export interface WeightRule {
  readonly pattern: string;
  readonly points: number;
  /** The pattern split on '*'; one element = no wildcard. */
  readonly segments: readonly string[];
  readonly literal: number;
}

/** Compiles `scoring.weights` into rules ordered most specific first. */
export function compileWeights(weights: Readonly<Record<string, number>>): WeightRule[] {
  const rules = Object.entries(weights).map(([pattern, points]): WeightRule => {
    const segments = pattern.split('*');
    return { pattern, points, segments, literal: pattern.length - (segments.length - 1) };
  });
  return rules.sort(bySpecificity);
}

function bySpecificity(a: WeightRule, b: WeightRule): number {
  const exact = Number(b.segments.length === 1) - Number(a.segments.length === 1);
  if (exact !== 0) return exact;
  if (a.literal !== b.literal) return b.literal - a.literal;
  return a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0;
}

/** The most specific rule naming the test, or undefined when none does. */
export function ruleFor(rules: readonly WeightRule[], fullName: string, name: string): WeightRule | undefined {
  return rules.find((rule) => matches(rule.segments, fullName) || matches(rule.segments, name));
}

/**
 * Glob match where '*' is any run of characters (also empty) and nothing else is
 * special. Leftmost placement of each middle segment is always a valid choice for
 * '*'-only globs, so this is linear per segment: no regex, no backtracking blow-up
 * on patterns like "*a*a*a*a*b" written by a teacher.
 */
export function matches(segments: readonly string[], text: string): boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) return text === first;
  const last = segments[segments.length - 1] ?? '';
  if (text.length < first.length + last.length) return false;
  if (!text.startsWith(first) || !text.endsWith(last)) return false;
  const end = text.length - last.length;
  let at = first.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i] ?? '';
    const found = text.indexOf(segment, at);
    if (found < 0 || found + segment.length > end) return false;
    at = found + segment.length;
  }
  return true;
}
