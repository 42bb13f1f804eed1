// Rounding of grades, shared by scoring and late penalties so both round the same way.

/**
 * Rounds to 2 decimals, halves up as they are written in decimal.
 * `toPrecision(15)` first drops binary noise: 1.005 * 100 is 100.49999999999999
 * in floating point, which a plain Math.round would take down to 1.00.
 */
export function round2(value: number): number {
  return Math.round(Number((value * 100).toPrecision(15))) / 100;
}

/** Drops binary noise (0.1 * 3 = 0.30000000000000004) from a value shown to people. */
export function tidy(value: number): number {
  return Number(value.toPrecision(12));
}
