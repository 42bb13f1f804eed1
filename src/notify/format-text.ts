// Small pure text helpers shared by the status line and the comment.

/**
 * One decimal, no trailing `.0`: 70 → "70", 66.666 → "66.7". `toPrecision` first drops
 * binary noise (as src/grading/policy/rounding.ts does), so 0.05 rounds up like it reads.
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '?';
  const rounded = Math.round(Number((value * 10).toPrecision(15))) / 10;
  return String(rounded === 0 ? 0 : rounded);
}

/** Whitespace and control characters (newlines included) become single spaces. */
export function oneLine(text: string): string {
  return text.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** At most `max` code points, the last one `…` when cut; never splits a surrogate pair. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 0 ? '' : `${chars.slice(0, max - 1).join('')}…`;
}

export function length(text: string): number {
  return [...text].length;
}

export function testCount(passed: number, total: number): string {
  return total === 0 ? 'no tests' : `${passed}/${total} ${total === 1 ? 'test' : 'tests'}`;
}
