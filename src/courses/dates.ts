// Strict date-times for deadlines. A deadline without a UTC offset would be
// read in the server's time zone, which may silently differ from the
// teacher's, so an explicit offset (or Z) is required.

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const EXAMPLE = 'e.g. 2026-12-01T23:59:00+03:00';

export type DateResult = { ok: true; date: Date } | { ok: false; message: string };

export function parseDateTime(text: string): DateResult {
  const s = text.trim();
  if (DATE_ONLY.test(s)) {
    return fail(`a date alone is ambiguous; expected a date-time with a timezone offset, ${EXAMPLE}`);
  }
  const m = DATE_TIME.exec(s);
  if (!m) return fail(`not a date-time; expected ISO 8601 with a timezone offset, ${EXAMPLE}`);
  const [, y, mo, d, h, mi, sec = '00', frac = '', offset] = m;
  if (offset === undefined) {
    return fail(`missing timezone offset, so the instant is ambiguous; add Z or +HH:MM, ${EXAMPLE}`);
  }
  if (!validFields(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec))) {
    return fail(`no such date or time of day; expected a real calendar date-time, ${EXAMPLE}`);
  }
  if (!validOffset(offset)) {
    return fail('timezone offset out of range; expected -23:59..+23:59');
  }
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${sec}${frac.slice(0, 4)}${normalizeOffset(offset)}`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? fail(`not a valid date-time, ${EXAMPLE}`) : { ok: true, date };
}

function fail(message: string): DateResult {
  return { ok: false, message };
}

// Date.UTC rolls 2026-02-30 over into March; comparing back catches that.
function validFields(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (h > 23 || mi > 59 || s > 59) return false;
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

function validOffset(offset: string): boolean {
  if (offset.length === 1) return true;
  const digits = offset.slice(1).replace(':', '');
  return Number(digits.slice(0, 2)) <= 23 && Number(digits.slice(2)) <= 59;
}

function normalizeOffset(offset: string): string {
  if (offset === 'Z' || offset === 'z') return 'Z';
  const digits = offset.slice(1).replace(':', '');
  return `${offset[0]}${digits.slice(0, 2)}:${digits.slice(2)}`;
}
