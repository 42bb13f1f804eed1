// `time` is meant to be seconds as a decimal string, but real tools also write
// locale-formatted numbers and unit suffixes (see the fixtures README). A wrong
// duration is worse than none, so anything ambiguous becomes `null`.

const PLAIN = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// "2,120.532" (Surefire 3.1.0), "14,029.255" (JUnit console launcher), "1,234,567":
// a dot after the groups, or several groups, cannot be a decimal comma.
const THOUSANDS_WITH_DOT = /^\d{1,3}(?:,\d{3})+\.\d+$/;
const THOUSANDS_ONLY = /^\d{1,3}(?:,\d{3}){2,}$/;
// "1,078" is 1078 s in an English locale and 1.078 s in a French one: unknowable.
const AMBIGUOUS = /^[1-9]\d{0,2},\d{3}$/;
// "0,03", "12,5": a single decimal comma (old Surefire under fr/pt locales).
const DECIMAL_COMMA = /^\d+,\d+$/;
// "80.803us" (kotest), "12ms", "1.5 s".
const WITH_UNIT = /^(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|μs|ms|s|sec|min|m|h)$/;

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  'µs': 1e-6,
  'μs': 1e-6,
  ms: 1e-3,
  s: 1,
  sec: 1,
  m: 60,
  min: 60,
  h: 3600,
};

/** Parses a JUnit `time` attribute into seconds; `null` when missing or not understood. */
export function parseTimeSeconds(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const value = raw.trim();
  if (value === '') return null;
  if (PLAIN.test(value)) return finite(Number(value));
  if (THOUSANDS_WITH_DOT.test(value) || THOUSANDS_ONLY.test(value)) {
    return finite(Number(value.replaceAll(',', '')));
  }
  if (AMBIGUOUS.test(value)) return null;
  if (DECIMAL_COMMA.test(value)) return finite(Number(value.replace(',', '.')));
  const unit = WITH_UNIT.exec(value);
  if (unit !== null) {
    const factor = UNIT_SECONDS[unit[2] ?? ''];
    return factor === undefined ? null : finite(Number(unit[1]) * factor);
  }
  return null;
}

/** Also normalises GitLab's numeric `execution_time`. */
export function finite(value: number): number | null {
  return Number.isFinite(value) && value >= 0 ? value : null;
}
